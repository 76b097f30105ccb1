import { resolveHint } from './live-state.js';
import type { PlaylistState } from './types.js';

/** What a hinted part's request needs to know about the playlist that hinted it. */
export interface HintEntry {
  playlist: string;
  targetDurationS: number;
}

/**
 * Which missing object paths are the current EXT-X-PRELOAD-HINT of some live playlist. A request
 * for one of them is held until the part arrives (draft 6.2.6: the server SHOULD NOT answer 404
 * for a hinted resource it is about to have); any other missing path is a plain 404. Updated on
 * every playlist put, so it holds at most one entry per live playlist.
 */
export class HintIndex {
  readonly #byHint = new Map<string, HintEntry>();
  readonly #byPlaylist = new Map<string, string>();

  get(path: string): HintEntry | undefined {
    return this.#byHint.get(path);
  }

  get size(): number {
    return this.#byHint.size;
  }

  /** A new version of `playlist` was stored (state undefined: not a live playlist any more). */
  onPlaylist(playlist: string, live: PlaylistState | undefined): void {
    this.#forget(playlist);
    if (live === undefined || live.ended || live.preloadHint === undefined) return;
    const hinted = resolveHint(playlist, live.preloadHint);
    // A playlist hinting itself would make its own GET wait for a part: ignore such a hint.
    if (hinted === undefined || hinted === playlist) return;
    this.#byHint.set(hinted, { playlist, targetDurationS: live.targetDurationS });
    this.#byPlaylist.set(playlist, hinted);
  }

  /** `path` (or every path below it, when it ends with "/") was removed. */
  onRemove(path: string): void {
    if (!path.endsWith('/')) {
      this.#forget(path);
      return;
    }
    for (const playlist of [...this.#byPlaylist.keys()]) {
      if (playlist.startsWith(path)) this.#forget(playlist);
    }
  }

  #forget(playlist: string): void {
    const old = this.#byPlaylist.get(playlist);
    if (old === undefined) return;
    this.#byPlaylist.delete(playlist);
    // Two renditions never share a part path; still, drop the entry only if it is ours.
    if (this.#byHint.get(old)?.playlist === playlist) this.#byHint.delete(old);
  }
}
