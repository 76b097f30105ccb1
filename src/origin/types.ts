/**
 * The contract between packager and origin. One interface, two transports: in-process calls for
 * the all-in-one server, authenticated HTTP PUT/DELETE between machines.
 */

/** What an object is decides how the origin serves it (Cache-Control, holding rules). */
export type ObjectKind = 'init' | 'segment' | 'part' | 'playlist' | 'multivariant';

export interface PushObject {
  /** Path below the origin's root, no leading slash: "live/demo/src/seg12.m4s". */
  path: string;
  kind: ObjectKind;
  contentType: string;
  body: Buffer;
  /**
   * For playlists: how long a cache may serve this version, in seconds (the packager knows the
   * target duration; the origin caps it). Ignored for immutable kinds.
   */
  maxAgeS?: number;
  /** For live media playlists in LL-HLS ("push") mode: what this version offers. */
  live?: PlaylistState;
  /** The same playlist as a delta update (EXT-X-SKIP), served for _HLS_skip=YES. */
  delta?: Buffer;
}

/**
 * What a live media playlist version contains, so the origin can answer blocking reloads
 * (_HLS_msn/_HLS_part, draft-pantos-hls-rfc8216bis 6.2.5.2) and hold the preload-hinted part
 * without parsing the playlist text.
 */
export interface PlaylistState {
  /** Media sequence number of the last complete segment listed (-1 before the first). */
  lastMsn: number;
  /** Media sequence number of the segment the newest listed part belongs to (lastMsn or lastMsn + 1). */
  partMsn: number;
  /** Index of the newest listed part within partMsn (-1 when that segment has no part listed yet). */
  lastPart: number;
  /** How many parts each recent complete segment had (msn -> count): a request for part P >= count rolls over to the next segment. */
  partCounts: Record<number, number>;
  targetDurationS: number;
  partTargetS: number;
  /** The EXT-X-PRELOAD-HINT part's URI, relative to the playlist; a GET for it is held until it exists. */
  preloadHint?: string;
  ended: boolean;
}

export interface OriginPush {
  put(obj: PushObject): Promise<void>;
  /** Remove one object, or every object below `path` when it ends with "/". */
  remove(path: string): Promise<void>;
}

/** An object as the origin holds it. */
export interface StoredObject {
  kind: ObjectKind;
  contentType: string;
  body: Buffer;
  /** Strong validator derived from the body. */
  etag: string;
  /** ms since epoch when stored. */
  storedAt: number;
  maxAgeS?: number;
  live?: PlaylistState;
  delta?: Buffer;
}

/**
 * Bounded storage behind the origin (memory by default, disk as a second implementation). Both
 * pass one conformance suite. Implementations enforce their byte and object budgets on `put`
 * by evicting the least recently stored objects.
 */
export interface ObjectStore {
  put(path: string, obj: StoredObject): Promise<void>;
  get(path: string): Promise<StoredObject | undefined>;
  delete(path: string): Promise<boolean>;
  /** Delete every object whose path starts with `prefix`; returns how many. */
  deletePrefix(prefix: string): Promise<number>;
  /** Paths starting with `prefix` (bounded by the store's own object limit). */
  list(prefix: string): Promise<string[]>;
  stats(): { objects: number; bytes: number };
  close(): Promise<void>;
}
