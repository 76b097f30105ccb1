import { formatDirectives, nextMsn, type MediaPlaylist } from '../hls/index.js';
import { ok } from './context.js';
import { followPlain } from './plain.js';
import { resolvePath, withoutQuery } from './playlists.js';
import { partsOf, segmentAt, type Track } from './track.js';

/**
 * An LL-HLS player (draft-pantos-hls-rfc8216bis 6.2.5, 6.3): start one segment behind the live
 * edge, then take each part as it appears, by a blocking playlist reload for the next part
 * (_HLS_msn/_HLS_part) together with a request for the preload-hinted part, which the server
 * answers as soon as that part exists.
 */
export async function followLowLatency(t: Track, first: MediaPlaylist): Promise<void> {
  const ctx = t.ctx;
  if (first.serverControl?.canBlockReload !== true || first.partTargetS === undefined) {
    return followPlain(t, first);
  }
  let pl = first;
  let msn = nextMsn(pl);
  let part = 0;
  const last = segmentAt(pl, msn - 1);
  if (last !== undefined) {
    await t.ensureInit(last);
    await t.media('segment', last.uri, last.durationS);
  }
  /** The hinted part already fetched, credited once the playlist lists it. */
  let hinted: string | undefined;
  while (!ctx.stopped) {
    if (part === 0) {
      const switched = await t.switchIfWanted();
      if (switched !== undefined) pl = switched;
    }
    if (segmentAt(pl, msn) === undefined && msn < nextMsn(pl)) {
      // Fell behind the window: rejoin at the segment being built.
      t.viewer.skipped += nextMsn(pl) - msn;
      msn = nextMsn(pl);
      part = 0;
    }
    const { parts, complete } = partsOf(pl, msn);
    const p = parts[part];
    if (p !== undefined) {
      const seg = segmentAt(pl, msn);
      await t.ensureInit(seg ?? pl.segments[pl.segments.length - 1]);
      if (resolvePath(t.path, p.uri) === hinted) t.credit(p.durationS);
      else await t.media('part', p.uri, p.durationS);
      part++;
      continue;
    }
    if (complete) {
      // A complete segment listed without parts (they aged out): take it whole.
      const seg = segmentAt(pl, msn);
      if (part === 0 && seg !== undefined && parts.length === 0)
        await t.media('segment', seg.uri, seg.durationS);
      msn++;
      part = 0;
      continue;
    }
    if (pl.endList) return;
    const hint = pl.preloadHints.find((h) => h.type === 'PART' && h.byteRangeStart === undefined);
    const hintPath = hint === undefined ? undefined : resolvePath(t.path, hint.uri);
    const reload = `${withoutQuery(t.path)}?${formatDirectives({ msn, part })}`;
    const [fresh, hr] = await Promise.all([
      t.load(reload, 'blocking'),
      hintPath === undefined || hintPath === hinted ? undefined : ctx.get('hint', hintPath),
    ]);
    if (ctx.stopped) return;
    if (hr !== undefined && ok(hr)) hinted = hintPath;
    if (fresh !== undefined) {
      pl = fresh;
      continue;
    }
    // The blocking reload failed: back off a part duration and reload plainly to resync.
    await ctx.sched.sleepUntil(ctx.sched.now() + (pl.partTargetS ?? 0.5) * 1000);
    if (ctx.stopped) return;
    pl = (await t.load(t.path, 'playlist')) ?? pl;
  }
}
