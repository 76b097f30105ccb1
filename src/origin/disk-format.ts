import type { FileHandle } from 'node:fs/promises';
import type { ObjectKind, StoredObject } from './types.js';

/**
 * One file per object: a small header, the metadata as JSON, then the body. Keeping metadata in
 * the same file as the body means one rename publishes both at once, so a reader can never pair
 * a new body with old metadata, and a crash leaves either the old object or the new one.
 *
 *   "CRL1" | u32 BE metadata length | metadata JSON (utf-8) | body
 */

const MAGIC = Buffer.from('CRL1', 'latin1');
const HEADER_BYTES = 8;
/** Metadata is a path plus a few short fields; anything bigger is a corrupt or foreign file. */
const MAX_META_BYTES = 8192;
const KINDS: ReadonlySet<string> = new Set<ObjectKind>([
  'init',
  'segment',
  'part',
  'playlist',
  'multivariant',
]);

export interface DiskMeta {
  path: string;
  kind: ObjectKind;
  contentType: string;
  etag: string;
  storedAt: number;
  maxAgeS?: number;
}

export function encodeObject(path: string, obj: StoredObject): Buffer[] {
  const meta: DiskMeta = {
    path,
    kind: obj.kind,
    contentType: obj.contentType,
    etag: obj.etag,
    storedAt: obj.storedAt,
    ...(obj.maxAgeS === undefined ? {} : { maxAgeS: obj.maxAgeS }),
  };
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(json.length, 4);
  return [header, json, obj.body];
}

function parseMeta(json: Buffer): DiskMeta | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(json.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (
    typeof m.path !== 'string' ||
    typeof m.kind !== 'string' ||
    !KINDS.has(m.kind) ||
    typeof m.contentType !== 'string' ||
    typeof m.etag !== 'string' ||
    typeof m.storedAt !== 'number' ||
    (m.maxAgeS !== undefined && typeof m.maxAgeS !== 'number')
  ) {
    return undefined;
  }
  return m as unknown as DiskMeta;
}

function metaLength(header: Buffer): number | undefined {
  if (header.length < HEADER_BYTES || !header.subarray(0, 4).equals(MAGIC)) return undefined;
  const len = header.readUInt32BE(4);
  return len > MAX_META_BYTES ? undefined : len;
}

/** Decode a whole file; undefined when it is not one of ours or is truncated. */
export function decodeObject(file: Buffer): { meta: DiskMeta; obj: StoredObject } | undefined {
  const len = metaLength(file);
  if (len === undefined || file.length < HEADER_BYTES + len) return undefined;
  const meta = parseMeta(file.subarray(HEADER_BYTES, HEADER_BYTES + len));
  if (meta === undefined) return undefined;
  const obj: StoredObject = {
    kind: meta.kind,
    contentType: meta.contentType,
    body: file.subarray(HEADER_BYTES + len),
    etag: meta.etag,
    storedAt: meta.storedAt,
    ...(meta.maxAgeS === undefined ? {} : { maxAgeS: meta.maxAgeS }),
  };
  return { meta, obj };
}

/** Read only the metadata and body size from an open file (used when rebuilding the index). */
export async function readMeta(fh: FileHandle): Promise<{ meta: DiskMeta; bodyBytes: number } | undefined> {
  const header = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await fh.read(header, 0, HEADER_BYTES, 0);
  const len = metaLength(header.subarray(0, bytesRead));
  if (len === undefined) return undefined;
  const json = Buffer.alloc(len);
  const got = await fh.read(json, 0, len, HEADER_BYTES);
  if (got.bytesRead !== len) return undefined;
  const meta = parseMeta(json);
  if (meta === undefined) return undefined;
  const { size } = await fh.stat();
  return { meta, bodyBytes: size - HEADER_BYTES - len };
}
