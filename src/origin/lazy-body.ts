/**
 * A playlist version whose bytes are written on first read. An LL-HLS packager makes a version per
 * part per rendition; with no viewer on a rendition (or a TTL edge that skips versions) nobody ever
 * reads most of them, and writing each was most of the packager's playlist cost. The model the
 * text is written from is fixed when the version is made, so reading later gives the same bytes.
 *
 * Only in-process pushes carry one: the HTTP transport reads the body to send it. Readers see
 * ordinary `body` and `delta` fields (getters, written together on the first read of either).
 */

/** The bytes of a version: the playlist and, for LL-HLS, its delta update. */
export interface WrittenBody {
  body: Buffer;
  delta?: Buffer;
}

/** Present on a lazy object until its bytes exist: what they may cost, counted before then. */
const PENDING = Symbol('corral.pendingBytes');

interface Lazy {
  [PENDING]?: () => number | undefined;
}

/**
 * `fields` with `body` (and `delta` when `withDelta`) that call `write` once, on the first read.
 * `boundBytes`: at most what body and delta will take together.
 */
export function withLazyBody<T extends object>(
  fields: T,
  write: () => WrittenBody,
  boundBytes: number,
  withDelta: boolean,
): T & WrittenBody {
  let written: WrittenBody | undefined;
  const get = () => (written ??= write());
  const obj = fields as T & WrittenBody & Lazy;
  Object.defineProperty(obj, 'body', { enumerable: true, get: () => get().body });
  if (withDelta) Object.defineProperty(obj, 'delta', { enumerable: true, get: () => get().delta });
  Object.defineProperty(obj, PENDING, { value: () => (written === undefined ? boundBytes : undefined) });
  return obj;
}

/** While `obj`'s bytes are not written yet: the bound they were given. Otherwise undefined. */
export function pendingBytes(obj: object): number | undefined {
  return (obj as Lazy)[PENDING]?.();
}

/**
 * `to` with `from`'s body and delta: the same getters when `from` is lazy and not yet written
 * (reading either on `to` writes `from` once), plain fields otherwise.
 */
export function withBodyOf<T extends object>(to: T, from: WrittenBody): T & WrittenBody {
  const lazy = (from as Lazy)[PENDING];
  if (lazy === undefined || lazy() === undefined) {
    const out = to as T & WrittenBody;
    out.body = from.body;
    if (from.delta !== undefined) out.delta = from.delta;
    return out;
  }
  const obj = to as T & WrittenBody & Lazy;
  Object.defineProperty(obj, 'body', { enumerable: true, get: () => from.body });
  if (Object.prototype.hasOwnProperty.call(from, 'delta')) {
    Object.defineProperty(obj, 'delta', { enumerable: true, get: () => from.delta });
  }
  Object.defineProperty(obj, PENDING, { value: lazy });
  return obj;
}
