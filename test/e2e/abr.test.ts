import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { startTestServer, getText, until, type TestServer } from '../support/server.js';
import { FFMPEG, probe, testPatternArgs } from '../support/ffmpeg.js';
import { checkMediaPlaylist, parseMediaPlaylist, parseMultivariant } from '../support/hls.js';
import { readMediaSegment } from '../../src/media/index.js';
import { liveChildCount, liveChildPids } from '../../src/transcode/children.js';

async function videoStartMs(url: string): Promise<number> {
  const seg = readMediaSegment(Buffer.from(await (await fetch(url)).arrayBuffer()));
  const v = seg.fragments.find((f) => f.trackId === 1)!;
  // Presentation time of the first frame: the source has B-frames, the transcodes do not.
  return (v.baseMediaDecodeTime + v.samples[0]!.cts) / 90;
}

/**
 * A 720p30 publish yields an aligned ladder: the passthrough (the 720p rendition; no second 720p
 * encode by default), 480p, 360p and audio-only.
 */
describe('adaptive bitrate ladder', () => {
  let t: TestServer;
  let broadcaster: ChildProcess;
  before(async () => {
    t = await startTestServer({ 'transcode.enabled': true, 'package.windowSegments': 12 });
    broadcaster = spawn(FFMPEG, testPatternArgs(`${t.rtmp}/live/abr`, { seconds: 40, size: '1280x720' }), {
      stdio: 'ignore',
    });
  });
  after(async () => {
    broadcaster.kill('SIGKILL');
    await t.server.close();
  });

  it('lists the ladder capped at the source, passthrough first and audio-only last', async () => {
    const variants = await until(
      'four variants',
      async () => {
        const r = await getText(`${t.viewer}/live/abr/index.m3u8`);
        if (r.status !== 200) return undefined;
        const v = parseMultivariant(r.text);
        return v.length === 4 ? v : undefined;
      },
      30_000,
    );
    assert.deepEqual(
      variants.map((v) => [v.uri, v.resolution]),
      [
        ['src/index.m3u8', '1280x720'],
        ['480p/index.m3u8', '854x480'],
        ['360p/index.m3u8', '640x360'],
        ['audio/index.m3u8', undefined],
      ],
    );
    assert.equal((await getText(`${t.viewer}/live/abr/720p/index.m3u8`)).status, 404, 'no 720p re-encode');
    for (const v of variants.slice(1, 3)) {
      assert.ok(v.bandwidth > 100_000, `${v.uri} bandwidth ${v.bandwidth}`);
      assert.ok(v.averageBandwidth! > 0);
      assert.equal(v.codecs.length, 2);
    }
    assert.ok(variants[2]!.bandwidth < variants[1]!.bandwidth, 'lower rung, lower bit rate');
  });

  it('every rendition decodes at its resolution and segment N starts at the same time everywhere', async () => {
    // Let a few aligned segments accumulate in every rendition.
    const lists = await until(
      'aligned playlists',
      async () => {
        const out: Record<string, ReturnType<typeof parseMediaPlaylist>> = {};
        for (const r of ['src', '480p', '360p']) {
          const res = await getText(`${t.viewer}/live/abr/${r}/index.m3u8`);
          if (res.status !== 200) return undefined;
          const p = parseMediaPlaylist(res.text);
          if (p.segments.filter((s) => s.duration > 0).length < 4) return undefined;
          out[r] = p;
        }
        return out;
      },
      40_000,
    );
    for (const [r, p] of Object.entries(lists)) assert.deepEqual(checkMediaPlaylist(p), [], r);
    const expected: Record<string, [number, number]> = {
      src: [1280, 720],
      '480p': [854, 480],
      '360p': [640, 360],
    };
    for (const [r, [w, h]] of Object.entries(expected)) {
      const info = await probe(`${t.viewer}/live/abr/${r}/index.m3u8`);
      const v = info.streams.find((s) => s.codec_type === 'video');
      assert.deepEqual([v?.width, v?.height], [w, h], r);
    }
    // The newest segment number every rendition lists, and its first frame's time in each.
    const common = Math.min(...Object.values(lists).map((p) => p.segments[p.segments.length - 1]!.sequence));
    const starts: Record<string, number> = {};
    for (const r of Object.keys(lists)) {
      starts[r] = await videoStartMs(`${t.viewer}/live/abr/${r}/seg-${common}.m4s`);
    }
    for (const r of ['480p', '360p']) {
      assert.ok(
        Math.abs(starts[r]! - starts.src!) <= 34,
        `${r} seg-${common} at ${starts[r]} vs src ${starts.src}`,
      );
    }
  });

  it('killing ffmpeg mid-stream: the ladder recovers after a discontinuity, the passthrough has no gap', async () => {
    const pids = liveChildPids();
    assert.equal(pids.length, 1, 'one transcoder for the one stream');
    const before = parseMediaPlaylist((await getText(`${t.viewer}/live/abr/480p/index.m3u8`)).text);
    const lastBefore = before.segments[before.segments.length - 1]!.sequence;
    process.kill(pids[0]!, 'SIGKILL');
    const after = await until(
      'recovered 480p',
      async () => {
        const p = parseMediaPlaylist((await getText(`${t.viewer}/live/abr/480p/index.m3u8`)).text);
        const fresh = p.segments.filter(
          (s) => s.sequence > lastBefore + 1 && !s.discontinuity && s.duration > 0,
        );
        return p.segments.some((s) => s.discontinuity) && fresh.length >= 2 ? p : undefined;
      },
      20_000,
    );
    assert.deepEqual(checkMediaPlaylist(after), []);
    assert.notDeepEqual(liveChildPids(), pids, 'a new ffmpeg runs');
    // The restarted rendition's segments still line up with the passthrough's.
    const seq = after.segments[after.segments.length - 1]!.sequence;
    const src = parseMediaPlaylist((await getText(`${t.viewer}/live/abr/src/index.m3u8`)).text);
    assert.ok(src.segments.some((s) => s.sequence === seq));
    const a = await videoStartMs(`${t.viewer}/live/abr/480p/seg-${seq}.m4s`);
    const b = await videoStartMs(`${t.viewer}/live/abr/src/seg-${seq}.m4s`);
    assert.ok(Math.abs(a - b) <= 34, `480p seg-${seq} at ${a} vs src ${b}`);
    // The passthrough never noticed: no discontinuity, ~1 s segments back to back.
    assert.ok(src.segments.every((s) => !s.discontinuity && !s.gap));
    for (const s of src.segments)
      assert.ok(Math.abs(s.duration - 1) < 0.05, `src ${s.sequence} ${s.duration}`);
  });

  it('no transcoder outlives the stopped server', async () => {
    assert.ok(liveChildCount() > 0, 'a transcoder runs while the stream is live');
    broadcaster.kill('SIGKILL');
    await until('transcoders reaped', async () => (liveChildCount() === 0 ? true : undefined), 15_000);
  });
});
