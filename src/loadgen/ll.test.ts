import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WirePool } from './wire.js';
import { WorkerContext } from './context.js';
import type { FetchResult } from './fetch.js';
import { PlaylistReader } from './playlists.js';
import { Scheduler, type Timers } from './scheduler.js';
import { newTally, type Kind } from './tally.js';
import { Viewer } from './viewer.js';

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
    async runUntil(end: number) {
      await flush();
      while (armed !== undefined && armed.at <= end) {
        const a = armed;
        armed = undefined;
        now = a.at;
        a.fn();
        await flush();
      }
    },
  };
}

const PARTS = 3;
/** Part p of segment 5 + m is made at m s + (p + 1) / 3 s; segments 0-4 exist at 0. */
const madeAt = (msn: number, part: number) => (msn - 5) * 1000 + Math.round(((part + 1) * 1000) / PARTS);

function playlistAt(ms: number): string {
  let msn = 5;
  let part = 0;
  while (madeAt(msn, part) <= ms) if (++part === PARTS) [msn, part] = [msn + 1, 0];
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    '#EXT-X-TARGETDURATION:1',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.0',
    '#EXT-X-PART-INF:PART-TARGET=0.334',
    `#EXT-X-MEDIA-SEQUENCE:${Math.max(0, msn - 6)}`,
    '#EXT-X-MAP:URI="init.mp4"',
  ];
  for (let k = Math.max(0, msn - 6); k < msn; k++) {
    if (k >= 5)
      for (let p = 0; p < PARTS; p++) lines.push(`#EXT-X-PART:DURATION=0.333,URI="part-${k}-${p}.m4s"`);
    lines.push('#EXTINF:1.000,', `seg-${k}.m4s`);
  }
  for (let p = 0; p < part; p++) lines.push(`#EXT-X-PART:DURATION=0.333,URI="part-${msn}-${p}.m4s"`);
  lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-${msn}-${part}.m4s"`);
  return lines.join('\n') + '\n';
}

class ScriptedContext extends WorkerContext {
  readonly log: Array<[number, Kind, string]> = [];
  constructor(sched: Scheduler) {
    super(new WirePool({ host: '127.0.0.1', port: 1 }, 1), sched, newTally(), new PlaylistReader());
  }

  override get(kind: Kind, path: string): Promise<FetchResult> {
    this.log.push([this.sched.now(), kind, path]);
    // A blocking reload and a hinted part are answered once the part they name exists.
    const q = /_HLS_msn=(\d+)&_HLS_part=(\d+)/.exec(path) ?? /part-(\d+)-(\d+)\.m4s$/.exec(path);
    let at = this.sched.now();
    if (q !== null && (kind === 'blocking' || kind === 'hint')) {
      let [msn, part] = [Number(q[1]), Number(q[2])];
      if (part >= PARTS) [msn, part] = [msn + 1, 0];
      at = Math.max(at, madeAt(msn, part));
    }
    return new Promise((resolve) =>
      this.sched.at(at, () => {
        const r: FetchResult = { status: 200, bytes: 5000, ms: 5, queueMs: 0 };
        if (kind === 'multivariant')
          r.text = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=100000,RESOLUTION=320x180\nv/index.m3u8\n';
        else if (kind === 'playlist' || kind === 'blocking') r.text = playlistAt(at);
        resolve(r);
      }),
    );
  }
}

describe('LL-HLS viewer (draft-pantos-hls-rfc8216bis 6.2.5)', () => {
  it('takes one segment, then each part through a blocking reload and its preload hint, never twice', async () => {
    const v = virtualTimers();
    const ctx = new ScriptedContext(new Scheduler(v.timers));
    const viewer = new Viewer(ctx, { ll: true, abr: false, startS: 1 });
    void viewer.run('/live/x/index.m3u8');
    await v.runUntil(2100);
    ctx.stopped = true;
    const of = (kind: Kind) => ctx.log.filter(([, k]) => k === kind).map(([t, , p]) => `${t} ${p}`);
    assert.deepEqual(of('segment'), ['0 /live/x/v/seg-4.m4s']);
    assert.deepEqual(of('part'), [], 'every part came through its hint');
    assert.deepEqual(of('blocking'), [
      '0 /live/x/v/index.m3u8?_HLS_msn=5&_HLS_part=0',
      '333 /live/x/v/index.m3u8?_HLS_msn=5&_HLS_part=1',
      '667 /live/x/v/index.m3u8?_HLS_msn=5&_HLS_part=2',
      '1000 /live/x/v/index.m3u8?_HLS_msn=6&_HLS_part=0',
      '1333 /live/x/v/index.m3u8?_HLS_msn=6&_HLS_part=1',
      '1667 /live/x/v/index.m3u8?_HLS_msn=6&_HLS_part=2',
      '2000 /live/x/v/index.m3u8?_HLS_msn=7&_HLS_part=0',
    ]);
    assert.deepEqual(
      of('hint').map((s) => s.split(' ')[1]),
      ['part-5-0', 'part-5-1', 'part-5-2', 'part-6-0', 'part-6-1', 'part-6-2', 'part-7-0'].map(
        (p) => `/live/x/v/${p}.m4s`,
      ),
    );
    assert.equal(viewer.parts, 6, 'six parts listed and credited by 2 s');
    assert.equal(viewer.buffer.rebuffers, 0);
    assert.equal(viewer.buffer.started, true);
  });
});
