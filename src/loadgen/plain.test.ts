import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WirePool } from './wire.js';
import { WorkerContext } from './context.js';
import type { FetchResult } from './fetch.js';
import { PlaylistReader } from './playlists.js';
import { Scheduler, type Timers } from './scheduler.js';
import { newTally, type Kind } from './tally.js';
import { Viewer } from './viewer.js';

/** Virtual time: one pending host timer, run when the test advances past it. */
function virtualTimers() {
  let now = 0;
  let armed: { at: number; fn: () => void } | undefined;
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => (armed = { at: now + ms, fn }),
    clearTimeout: (h) => {
      if (armed === h) armed = undefined;
    },
  };
  const flush = () => new Promise((r) => setImmediate(r));
  return {
    timers,
    now: () => now,
    async runUntil(end: number) {
      await flush();
      while (armed !== undefined && armed.at <= end) {
        const a = armed;
        armed = undefined;
        now = a.at;
        a.fn();
        await flush();
      }
      now = end;
    },
  };
}

/** A live stream without sockets: segment k >= 5 appears at (k - 4) s + 300 ms. */
function playlistAt(ms: number): string {
  const next = 5 + Math.max(0, Math.floor((ms - 300) / 1000));
  const first = Math.max(0, next - 6);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:1', `#EXT-X-MEDIA-SEQUENCE:${first}`];
  lines.push('#EXT-X-MAP:URI="init.mp4"');
  for (let k = first; k < next; k++) lines.push('#EXTINF:1.000,', `seg-${k}.m4s`);
  return lines.join('\n') + '\n';
}

const MULTIVARIANT = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000,RESOLUTION=320x180\nv/index.m3u8\n';

class ScriptedContext extends WorkerContext {
  readonly log: Array<[number, Kind, string]> = [];
  constructor(sched: Scheduler) {
    super(new WirePool({ host: '127.0.0.1', port: 1 }, 1), sched, newTally(), new PlaylistReader());
  }

  override get(kind: Kind, path: string): Promise<FetchResult> {
    const now = this.sched.now();
    this.log.push([now, kind, path]);
    const text = kind === 'multivariant' ? MULTIVARIANT : kind === 'playlist' ? playlistAt(now) : undefined;
    const r: FetchResult = { status: 200, bytes: 20_000, ms: 5, queueMs: 0 };
    if (text !== undefined) r.text = text;
    return Promise.resolve(r);
  }
}

describe('plain viewer (RFC 8216 6.3.3, 6.3.4)', () => {
  it('starts three segments back, then reloads a target duration apart, half that when nothing changed', async () => {
    const v = virtualTimers();
    const ctx = new ScriptedContext(new Scheduler(v.timers));
    const viewer = new Viewer(ctx, { ll: false, abr: false, startS: 1 });
    void viewer.run('/live/x/index.m3u8');
    await v.runUntil(3600);
    ctx.stopped = true;
    const reloads = ctx.log.filter(([, k]) => k === 'playlist').map(([t]) => t);
    // 0: first load; 1000: seg 5 not there yet (appears at 1300); 1500: it is; then every second.
    assert.deepEqual(reloads, [0, 1000, 1500, 2500, 3500]);
    const segments = ctx.log.filter(([, k]) => k === 'segment').map(([t, , p]) => `${t} ${p}`);
    assert.deepEqual(segments, [
      '0 /live/x/v/seg-2.m4s',
      '0 /live/x/v/seg-3.m4s',
      '0 /live/x/v/seg-4.m4s',
      '1500 /live/x/v/seg-5.m4s',
      '2500 /live/x/v/seg-6.m4s',
      '3500 /live/x/v/seg-7.m4s',
    ]);
    assert.equal(ctx.log.filter(([, k]) => k === 'init').length, 1, 'the init section once');
    assert.equal(viewer.buffer.started, true);
    assert.equal(viewer.buffer.rebuffers, 0);
    assert.equal(viewer.segments, 6);
  });
});
