import type { FileHandle } from 'node:fs/promises';
import { sanitizeLiveState } from './live-state.js';
import type { ObjectKind, PlaylistState, StoredObject } from './types.js';

/**
 * One file per object: a small header, the metadata as JSON, then the body. Keeping metadata in
 * the same file as the body means one rename publishes both at once, so a reader can never pair
 * a new body with old metadata, and a crash leaves either the old object or the new one.
 *
 *   "CRL1" | u32 BE metadata length | metadata JSON (utf-8) | body | delta
 *
 * An LL-HLS playlist's delta update (deltaBytes long) sits after the body in the same file, for the
 * same reason: the full playlist, its delta and its state are one version and must change together.
 * Files written before deltas existed have no deltaBytes and decode as before.
 */

const MAGIC = Buffer.from('CRL1', 'latin1');
const HEADER_BYTES = 8;
/**
 * Metadata is a path plus a few short fields and, for live playlists, a bounded PlaylistState
 * (at most MAX_PART_COUNTS counts and a 1 KB hint); anything bigger is a corrupt or foreign file.
 */
const MAX_META_BYTES = 16384;
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
  live?: PlaylistState;
  /** Length of the delta update stored after the body. */
  deltaBytes?: number;
}

export function encodeObject(path: string, obj: StoredObject): Buffer[] {
  const meta: DiskMeta = {
    path,
    kind: obj.kind,
    contentType: obj.contentType,
    etag: obj.etag,
    storedAt: obj.storedAt,
    ...(obj.maxAgeS === undefined ? {} : { maxAgeS: obj.maxAgeS }),
    ...(obj.live === undefined ? {} : { live: obj.live }),
    ...(obj.delta === undefined ? {} : { deltaBytes: obj.delta.length }),
  };
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(header, 0);
  header.writeUInt32BE(json.length, 4);
  return obj.delta === undefined ? [header, json, obj.body] : [header, json, obj.body, obj.delta];
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
    (m.maxAgeS !== undefined && typeof m.maxAgeS !== 'number') ||
    (m.deltaBytes !== undefined &&
      !(typeof m.deltaBytes === 'number' && Number.isSafeInteger(m.deltaBytes) && m.deltaBytes >= 0))
  ) {
    return undefined;
  }
  if (m.live !== undefined) {
    try {
      m.live = sanitizeLiveState(m.live, m.path);
    } catch {
      return undefined;
    }
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
  const deltaBytes = meta.deltaBytes ?? 0;
  const bodyEnd = file.length - deltaBytes;
  if (bodyEnd < HEADER_BYTES + len) return undefined;
  const obj: StoredObject = {
    kind: meta.kind,
    contentType: meta.contentType,
    body: file.subarray(HEADER_BYTES + len, bodyEnd),
    etag: meta.etag,
    storedAt: meta.storedAt,
    ...(meta.maxAgeS === undefined ? {} : { maxAgeS: meta.maxAgeS }),
    ...(meta.live === undefined ? {} : { live: meta.live }),
    ...(meta.deltaBytes === undefined ? {} : { delta: file.subarray(bodyEnd) }),
  };
  return { meta, obj };
}

/**
 * Read only the metadata and stored size from an open file (used when rebuilding the index).
 * bodyBytes includes the delta: it is what the object costs the byte budget (storedBytes).
 */
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
  const bodyBytes = size - HEADER_BYTES - len;
  // A delta longer than what follows the metadata: a torn or foreign file.
  if (bodyBytes < (meta.deltaBytes ?? 0)) return undefined;
  return { meta, bodyBytes };
}
