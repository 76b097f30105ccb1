import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  parsePlaylist,
  renderPlaylist,
  type MediaPlaylist,
  type MultivariantPlaylist,
} from '../hls/index.js';
import { scaleLifetimes } from '../http/cache-control.js';
import { FakeClock } from '../util/fake-clock.js';
import { SharedBody } from './body.js';
import { LoadGovernor, type LoadLimits, type StepChange } from './degrade.js';
import { degraded, playlistKind, withLongerHoldBack, withoutTopRungs } from './degrade-playlist.js';
import { createEntry } from './entry.js';

const LIMITS: LoadLimits = {
  egressMbps: 100,
  connections: 1000,
  loopLagMs: 0,
  escalateMs: 2000,
  relaxMs: 5000,
  relaxBelow: 0.8,
};

function run(samples: Array<[number, number]>): { steps: number[]; changes: StepChange[] } {
  const clock = new FakeClock();
  const changes: StepChange[] = [];
  const g = new LoadGovernor(LIMITS, clock, (c) => changes.push(c));
  const steps: number[] = [];
  for (const [egress, conns] of samples) {
    clock.advance(1000);
    steps.push(g.sample({ egressMbps: egress, connections: conns, loopLagMs: 0 }));
  }
  return { steps, changes };
}

describe('LoadGovernor: steps in order, one per escalateMs past a limit, undone below relaxBelow', () => {
  it('escalates 0 -> 1 -> 2 -> 3 while over, holds at 3, then relaxes one step per relaxMs', () => {
    const over = Array.from({ length: 9 }, (): [number, number] => [150, 10]);
    const calm = Array.from({ length: 18 }, (): [number, number] => [10, 10]);
    const { steps, changes } = run([...over, ...calm]);
    assert.deepEqual(steps.slice(0, 9), [0, 0, 1, 1, 2, 2, 3, 3, 3]);
    assert.deepEqual(
      changes.map((c) => [c.from, c.to]),
      [
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 2],
        [2, 1],
        [1, 0],
      ],
    );
    assert.equal(changes[0]!.limit, 'egressMbps');
    assert.equal(changes[0]!.ratio, 1.5);
    assert.deepEqual(steps.slice(9 + 4, 9 + 6), [3, 2], 'the first relax after 5 s below the limit');
    assert.equal(steps.at(-1), 0);
  });

  it('load between relaxBelow and the limit neither escalates nor relaxes (hysteresis)', () => {
    const { steps } = run([
      [0, 1500],
      [0, 1500],
      [0, 1500],
      ...Array.from({ length: 20 }, (): [number, number] => [0, 900]),
    ]);
    assert.equal(steps.at(-1), 1, 'stays at step 1 at 90 % of a limit');
  });

  it('a blip past the limit shorter than escalateMs changes nothing; all limits 0 = disabled', () => {
    assert.deepEqual(
      run([
        [150, 0],
        [10, 0],
        [150, 0],
        [10, 0],
      ]).steps,
      [0, 0, 0, 0],
    );
    const g = new LoadGovernor({ ...LIMITS, egressMbps: 0, connections: 0 }, new FakeClock(), () => {});
    assert.equal(g.enabled, false);
  });
});

const MULTI = `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="main",DEFAULT=YES,AUTOSELECT=YES,URI="audio/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=5000000,CODECS="avc1.640028,mp4a.40.2",RESOLUTION=1920x1080,AUDIO="aud"
src/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=2500000,CODECS="avc1.64001f,mp4a.40.2",RESOLUTION=1280x720,AUDIO="aud"
v720/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,AUDIO="aud"
v360/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=130000,CODECS="mp4a.40.2",AUDIO="aud"
audio/index.m3u8
`;

const MEDIA = `#EXTM3U
#EXT-X-VERSION:9
#EXT-X-TARGETDURATION:1
#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=0.6
#EXT-X-PART-INF:PART-TARGET=0.2
#EXT-X-MEDIA-SEQUENCE:10
#EXT-X-MAP:URI="init-0.mp4"
#EXTINF:1.00000,
seg-10.m4s
#EXTINF:1.00000,
seg-11.m4s
`;

const entry = (text: string, cc = 'public, max-age=1, stale-while-revalidate=1') =>
  createEntry(
    200,
    { 'content-type': 'application/vnd.apple.mpegurl', 'cache-control': cc, etag: '"v1"' },
    SharedBody.of(Buffer.from(text)),
    0,
    {},
    0,
  );

describe('degraded playlists', () => {
  it('drops the top video rung(s), never the last video rung, never audio-only', () => {
    const p = parsePlaylist(MULTI) as MultivariantPlaylist;
    assert.deepEqual(
      withoutTopRungs(p, 1).variants.map((v) => v.uri),
      ['v720/index.m3u8', 'v360/index.m3u8', 'audio/index.m3u8'],
    );
    assert.deepEqual(
      withoutTopRungs(p, 9).variants.map((v) => v.uri),
      ['v360/index.m3u8', 'audio/index.m3u8'],
    );
    assert.equal(withoutTopRungs(p, 1).renditions.length, 1, 'the audio group stays');
  });

  it('doubles hold-back (from the 3 x target default) and part hold-back', () => {
    const p = withLongerHoldBack(parsePlaylist(MEDIA) as MediaPlaylist);
    assert.equal(p.serverControl?.holdBackS, 6);
    assert.equal(p.serverControl?.partHoldBackS, 1.2);
    assert.equal(p.serverControl?.canBlockReload, true);
    assert.match(
      renderPlaylist(p),
      /#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1\.200,HOLD-BACK=6\.000/,
    );
    assert.equal(
      scaleLifetimes('public, max-age=1, stale-while-revalidate=1', 2),
      'public, max-age=2, stale-while-revalidate=2',
    );
  });

  it('applies by step, once per cached version, and drops validators of the new bytes', () => {
    const multi = entry(MULTI);
    const media = entry(MEDIA);
    assert.equal(playlistKind(multi), 'multivariant');
    assert.equal(playlistKind(media), 'media');
    assert.equal(degraded(multi, 0, 1), multi);
    assert.equal(degraded(media, 1, 1), media, 'media playlists are untouched at step 1');
    const m1 = degraded(multi, 1, 1);
    assert.notEqual(m1, multi);
    assert.equal(degraded(multi, 1, 1), m1, 'made once per version and step');
    assert.doesNotMatch(m1.body.concat().toString(), /src\/index\.m3u8/);
    assert.equal(m1.etag, undefined);
    assert.equal(m1.headers.etag, undefined);
    assert.equal(m1.headers['cache-control'], 'public, max-age=1, stale-while-revalidate=1');
    const d2 = degraded(media, 2, 1);
    assert.match(d2.body.concat().toString(), /[^-]HOLD-BACK=6\.000/);
    assert.equal(d2.headers['cache-control'], 'public, max-age=2, stale-while-revalidate=2');
    const notPlaylist = createEntry(
      200,
      { 'content-type': 'video/mp4' },
      SharedBody.of(Buffer.from('x')),
      0,
      {},
      0,
    );
    assert.equal(degraded(notPlaylist, 3, 1), notPlaylist);
  });
});
