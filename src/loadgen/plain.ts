import { firstListedMsn, nextMsn, type MediaPlaylist } from '../hls/index.js';
import { segmentAt, type Track } from './track.js';

/** RFC 8216 6.3.3: start no closer than three target durations to the end of the playlist. */
const START_SEGMENTS_BACK = 3;

/**
 * A player without LL-HLS: fetch every new segment in order, and reload the playlist as RFC 8216
 * 6.3.4 says: one target duration after the last reload began, or half that when the last reload
 * brought nothing new.
 */
export async function followPlain(t: Track, first: MediaPlaylist): Promise<void> {
  const ctx = t.ctx;
  let pl = first;
  let loadedAt = ctx.sched.now();
  let changed = true;
  let next = Math.max(firstListedMsn(pl), nextMsn(pl) - START_SEGMENTS_BACK);
  while (!ctx.stopped) {
    const switched = await t.switchIfWanted();
    if (switched !== undefined) {
      pl = switched;
      loadedAt = ctx.sched.now();
    }
    if (next < firstListedMsn(pl)) {
      // Fell out of the window: a real player jumps ahead and so does this one.
      t.viewer.skipped += firstListedMsn(pl) - next;
      next = firstListedMsn(pl);
    }
    const seg = segmentAt(pl, next);
    if (seg !== undefined) {
      await t.ensureInit(seg);
      await t.media('segment', seg.uri, seg.durationS);
      next++;
      continue;
    }
    if (pl.endList) return;
    const waitS = changed ? pl.targetDurationS : pl.targetDurationS / 2;
    await ctx.sched.sleepUntil(loadedAt + waitS * 1000);
    if (ctx.stopped) return;
    loadedAt = ctx.sched.now();
    const fresh = await t.load(t.path, 'playlist');
    changed = fresh !== undefined && (nextMsn(fresh) !== nextMsn(pl) || fresh.endList !== pl.endList);
    if (fresh !== undefined) pl = fresh;
  }
}
