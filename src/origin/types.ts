/**
 * The contract between packager and origin. One interface, two transports: in-process calls for
 * the all-in-one server, authenticated HTTP PUT/DELETE between machines.
 */
import type { PlaylistState } from '../hls/state.js';

// Defined with the other HLS rules; re-exported because the push contract names it.
export type { PlaylistState };

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
   * target duration; the origin caps it). For segments and parts: how long after the push it can
   * still be asked for (window plus availability time). Ignored for init segments.
   */
  maxAgeS?: number;
  /** For live media playlists in LL-HLS ("push") mode: what this version offers. */
  live?: PlaylistState;
  /** The same playlist as a delta update (EXT-X-SKIP), served for _HLS_skip=YES. */
  delta?: Buffer;
}

export interface OriginPush {
  put(obj: PushObject): Promise<void>;
  /** Remove one object, or every object below `path` when it ends with "/". */
  remove(path: string): Promise<void>;
  /**
   * Resolves once the origin answers a request for `path` at all (any status), in one attempt;
   * rejects when it cannot be reached. Absent where the origin cannot go away (in-process).
   */
  probe?(path: string): Promise<void>;
  /**
   * The origin process that answered the last push, when it says: another value means the origin
   * restarted and may have lost everything it held.
   */
  originInstance?(): string | undefined;
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
