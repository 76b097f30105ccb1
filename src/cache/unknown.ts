import { entryLru } from './lru.js';
import type { Clock } from '../util/clock.js';

/** What this node knows exists: names listed in playlists it passed, and live stream folders. */
export interface KnownPaths {
  /** The path was listed in a playlist (or is a playlist) this node has seen. */
  isKnown(path: string): boolean;
  /** The folder holds (or is above) a live stream's playlists. */
  isLiveDir(dir: string): boolean;
}

interface DirState {
  /** monotonic ms of the last upstream 404 under this folder. */
  last404: number;
  /** ...and of the last unknown name let through. */
  lastProbe: number;
  /** Unknown names let through whose answer has not come yet. */
  probing: number;
}

function dirOf(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.slice(0, path.lastIndexOf('/') + 1);
}

export type Admission = 'free' | 'probe' | 'refuse';

/**
 * Negative caching per folder (issue 9): one 404 per key is kept ~1 s, but a flood of distinct
 * random names would still cost one upstream request each. Under a live stream's folder, a name
 * this node has never seen listed in a playlist goes upstream only when no other unknown name
 * of that folder is on its way, and, once the folder has answered 404, at most once per
 * interval; the others are answered 404 here and not stored, so they neither reach the origin
 * nor push real content out of the store. Names listed in a playlist are never held back (a live
 * playlist's for one to two minutes after it last listed them, see KnownNames), and a player only
 * asks for listed names (a segment just beyond the list is held by the live rules before it gets
 * here), so the price for a real viewer is at most a retried playlist after an edge restart.
 */
export class UnknownPathGuard {
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #known: KnownPaths;
  readonly #dirs = entryLru<string, DirState>(10_000);

  constructor(intervalMs: number, clock: Clock, known: KnownPaths) {
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#known = known;
  }

  /**
   * A miss with nothing stored is about to go upstream. 'refuse': answer 404 locally; 'probe':
   * go, and call probeDone(url) once the answer's status is known.
   */
  admit(url: string): Admission {
    if (this.#intervalMs === 0) return 'free';
    const q = url.indexOf('?');
    if (this.#known.isKnown(q < 0 ? url : url.slice(0, q))) return 'free';
    const dir = dirOf(url);
    if (!this.#known.isLiveDir(dir)) return 'free';
    let d = this.#dirs.get(dir);
    if (d === undefined) {
      d = { last404: -Infinity, lastProbe: -Infinity, probing: 0 };
      this.#dirs.set(dir, d);
    }
    const now = this.#clock.monotonic();
    if (d.probing > 0) return 'refuse';
    if (now - d.last404 < this.#intervalMs && now - d.lastProbe < this.#intervalMs) return 'refuse';
    d.lastProbe = now;
    d.probing++;
    return 'probe';
  }

  probeDone(url: string): void {
    const d = this.#dirs.get(dirOf(url));
    if (d !== undefined && d.probing > 0) d.probing--;
  }

  /** Upstream answered 404 for `url`. */
  notFound(url: string): void {
    if (this.#intervalMs === 0) return;
    const dir = dirOf(url);
    if (!this.#known.isLiveDir(dir)) return;
    const now = this.#clock.monotonic();
    const d = this.#dirs.get(dir);
    if (d === undefined) this.#dirs.set(dir, { last404: now, lastProbe: now, probing: 0 });
    else d.last404 = now;
  }
}
