import { LRUCache } from 'lru-cache';
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
  /** ...and of the last unknown name let through while 404s were coming. */
  lastProbe: number;
}

function dirOf(url: string): string {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.slice(0, path.lastIndexOf('/') + 1);
}

/**
 * Negative caching per folder (issue 9): one 404 per key is kept ~1 s, but a flood of distinct
 * random names would still cost one upstream request each. Under a live stream's folder that
 * has just answered 404, a name this node has never seen listed goes upstream at most once per
 * interval; the others are answered 404 here and not stored, so they neither reach the origin
 * nor push real content out of the store. Names listed in a playlist are never held back.
 */
export class UnknownPathGuard {
  readonly #intervalMs: number;
  readonly #clock: Clock;
  readonly #known: KnownPaths;
  readonly #dirs = new LRUCache<string, DirState>({ max: 10_000 });

  constructor(intervalMs: number, clock: Clock, known: KnownPaths) {
    this.#intervalMs = intervalMs;
    this.#clock = clock;
    this.#known = known;
  }

  /** A miss with nothing stored is about to go upstream: false means answer 404 locally. */
  admit(url: string): boolean {
    if (this.#intervalMs === 0 || this.#dirs.size === 0) return true;
    const dir = dirOf(url);
    const d = this.#dirs.get(dir);
    if (d === undefined) return true;
    const now = this.#clock.monotonic();
    if (now - d.last404 >= this.#intervalMs) return true;
    const q = url.indexOf('?');
    if (this.#known.isKnown(q < 0 ? url : url.slice(0, q))) return true;
    if (now - d.lastProbe < this.#intervalMs) return false;
    d.lastProbe = now;
    return true;
  }

  /** Upstream answered 404 for `url`. */
  notFound(url: string): void {
    if (this.#intervalMs === 0) return;
    const dir = dirOf(url);
    if (!this.#known.isLiveDir(dir)) return;
    const now = this.#clock.monotonic();
    const d = this.#dirs.get(dir);
    if (d === undefined) this.#dirs.set(dir, { last404: now, lastProbe: now });
    else d.last404 = now;
  }
}
