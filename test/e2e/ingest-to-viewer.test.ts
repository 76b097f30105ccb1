import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, getText, until, type TestServer } from '../support/server.js';
import { publish, probe, decode } from '../support/ffmpeg.js';
import { checkMediaPlaylist, parseMediaPlaylist, parseMultivariant } from '../support/hls.js';
import { readMediaSegment } from '../../src/media/index.js';

/**
 * First light: real ffmpeg publishes over RTMP and RTMPS, and everything a viewer needs comes
 * through the viewer port: playlists valid per RFC 8216, ~1 s segments, decodable media.
 */
describe('ingest to viewer port', () => {
  let t: TestServer;
  before(async () => {
    // A window long enough to keep a whole 10 s test stream listed; a short grace so it ends.
    t = await startTestServer({ 'package.windowSegments': 40, 'package.reconnectGraceS': 1.5 });
  });
  after(async () => {
    await t.server.close();
  });

  async function checkStream(name: string, seconds: number) {
    const mv = await getText(`${t.viewer}/live/${name}/index.m3u8`);
    assert.equal(mv.status, 200);
    assert.equal(mv.headers.get('access-control-allow-origin'), '*');
    const variants = parseMultivariant(mv.text);
    // The passthrough first, the audio-only rendition last.
    assert.equal(variants.length, 2);
    const v = variants[0]!;
    const audioOnly = variants[1]!;
    assert.equal(v.uri, 'src/index.m3u8');
    assert.deepEqual(audioOnly.codecs, ['mp4a.40.2']);
    assert.equal(audioOnly.resolution, undefined);
    assert.ok(audioOnly.bandwidth < v.bandwidth);
    assert.equal(v.resolution, '640x360');
    assert.match(v.codecs[0]!, /^avc1\.[0-9a-f]{6}$/);
    assert.equal(v.codecs[1], 'mp4a.40.2');
    assert.ok(Math.abs(v.frameRate! - 30) < 0.5, `frame rate ${v.frameRate}`);
    // Measured, not configured: a 640x360 x264 veryfast pattern lands between 100 kb/s and 10 Mb/s.
    assert.ok(v.bandwidth > 100_000 && v.bandwidth < 10_000_000, `bandwidth ${v.bandwidth}`);
    assert.ok(v.averageBandwidth! <= v.bandwidth);

    const mediaUrl = `${t.viewer}/live/${name}/${v.uri}`;
    const media = await until('ENDLIST', async () => {
      const r = await getText(mediaUrl);
      return r.text.includes('#EXT-X-ENDLIST') ? r : undefined;
    });
    const cc = media.headers.get('cache-control') ?? '';
    const maxAge = Number(/max-age=(\d+)/.exec(cc)?.[1] ?? 0);
    assert.ok(maxAge <= 60, `ended playlist max-age ${maxAge}`);
    const p = parseMediaPlaylist(media.text);
    assert.deepEqual(checkMediaPlaylist(p), []);
    assert.equal(p.targetDuration, 1);
    const full = p.segments.slice(0, -1);
    assert.ok(full.length >= seconds - 2, `${full.length} segments for ${seconds} s`);
    for (const s of full)
      assert.ok(Math.abs(s.duration - 1) < 0.05, `segment ${s.sequence} is ${s.duration}s`);
    for (let i = 1; i < p.segments.length; i++) {
      assert.ok(p.segments[i]!.programDateTime! > p.segments[i - 1]!.programDateTime!);
    }

    // The audio-only rendition lists the same segment numbers over the same time spans.
    const audioList = await until('audio ENDLIST', async () => {
      const r = await getText(`${t.viewer}/live/${name}/${audioOnly.uri}`);
      return r.text.includes('#EXT-X-ENDLIST') ? r.text : undefined;
    });
    const ap = parseMediaPlaylist(audioList);
    assert.deepEqual(checkMediaPlaylist(ap), []);
    assert.deepEqual(
      ap.segments.map((s) => s.sequence),
      p.segments.map((s) => s.sequence),
    );
    ap.segments.forEach((s, i) => assert.ok(Math.abs(s.duration - p.segments[i]!.duration) < 0.001));

    const base = `${t.viewer}/live/${name}/src/`;
    const seg = await fetch(base + p.segments[1]!.uri);
    assert.equal(seg.status, 200);
    assert.match(seg.headers.get('cache-control') ?? '', /immutable/);
    assert.equal(seg.headers.get('content-type'), 'video/mp4');
    // Viewers -> edge -> shield -> origin: both tiers report themselves.
    assert.match(seg.headers.get('x-cache') ?? '', /edge .*shield|shield.*edge/);
    const segBytes = Buffer.from(await seg.arrayBuffer());
    // Three tiers, one process: the shield and the edge each kept the origin's copy of the
    // segment, not their own (counted on the origin's /metrics, which is the process's).
    const metric = (text: string, name: string) =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    const originMetrics = (await getText(`http://127.0.0.1:${t.server.origin.port}/metrics`)).text;
    assert.ok(metric(originMetrics, 'corral_shared_bodies_total') >= 2, 'shield and edge share bodies');
    assert.ok(metric(originMetrics, 'corral_shared_body_bytes_total') >= 2 * segBytes.length);

    const info = await probe(mediaUrl);
    const video = info.streams.find((s) => s.codec_type === 'video');
    const audio = info.streams.find((s) => s.codec_type === 'audio');
    assert.equal(video?.codec_name, 'h264');
    assert.equal(video?.width, 640);
    assert.equal(video?.height, 360);
    assert.equal(audio?.codec_name, 'aac');
    const dec = await decode(mediaUrl);
    assert.equal(dec.code, 0, dec.errors);
    assert.equal(dec.errors, '');
    assert.ok(Math.abs(dec.seconds - seconds) < 1.5, `decoded ${dec.seconds}s of ${seconds}s`);
    return p;
  }

  it('RTMP: playlists valid, ~1 s segments, decodes with the right codecs and duration', async () => {
    const r = await publish(`${t.rtmp}/live/plain`, 10);
    assert.equal(r.code, 0, r.stderr);
    await checkStream('plain', 10);
  });

  it('RTMPS: the same through TLS with the self-signed certificate', async () => {
    const r = await publish(`${t.rtmps}/live/secure`, 10);
    assert.equal(r.code, 0, r.stderr);
    await checkStream('secure', 10);
  });

  it('a publisher that reconnects continues the playlist after a DISCONTINUITY', async () => {
    const r1 = await publish(`${t.rtmp}/live/again`, 4);
    assert.equal(r1.code, 0, r1.stderr);
    const r2 = await publish(`${t.rtmp}/live/again`, 4);
    assert.equal(r2.code, 0, r2.stderr);
    const p = await checkStream('again', 8);
    const breaks = p.segments.filter((s) => s.discontinuity);
    assert.equal(breaks.length, 1, 'exactly one discontinuity');
    const at = p.segments.indexOf(breaks[0]!);
    assert.ok(at >= 3 && at <= 5, `discontinuity at segment index ${at}`);
    // Same encoder settings, so the same init segment: players that ignore a second EXT-X-MAP
    // (VLC) keep decoding; the DISCONTINUITY alone marks the reconnect.
    assert.equal(p.segments[at]!.map, p.segments[at - 1]!.map, 'the same EXT-X-MAP after the reconnect');
    // Unbroken numbering: media sequence numbers run on without a gap.
    p.segments.forEach((s, i) => assert.equal(s.sequence, p.segments[0]!.sequence + i));
    assert.match(p.segments.map((s) => s.uri).join(), /seg-0\.m4s/);
    // Decode times run on across the reconnect: each segment starts where the previous ended
    // (video), and never before it (the reconnect adds a small gap, never an overlap).
    let prevEnd: Record<number, number> = {};
    let lastFragment = 0;
    for (const s of p.segments) {
      const body = Buffer.from(await (await fetch(`${t.viewer}/live/again/src/${s.uri}`)).arrayBuffer());
      const seg = readMediaSegment(body);
      // moof sequence numbers only ever increase (ISO BMFF 8.8.5), across parts and sessions.
      assert.ok(seg.sequenceNumber > lastFragment, `mfhd ${seg.sequenceNumber} after ${lastFragment}`);
      lastFragment = seg.sequenceNumber;
      // A segment may hold several fragments per track (LL-HLS parts): they chain exactly.
      const next: Record<number, number> = {};
      for (const f of seg.fragments) {
        const end = f.baseMediaDecodeTime + f.samples.reduce((a, x) => a + x.duration, 0);
        const within = next[f.trackId];
        if (within !== undefined) {
          assert.equal(
            f.baseMediaDecodeTime,
            within,
            `track ${f.trackId} fragments of ${s.uri} do not chain`,
          );
        } else {
          const prev = prevEnd[f.trackId];
          if (prev !== undefined) {
            assert.ok(
              f.baseMediaDecodeTime >= prev,
              `track ${f.trackId} of ${s.uri} starts before the previous end`,
            );
            if (f.trackId === 1 && !s.discontinuity)
              assert.equal(f.baseMediaDecodeTime, prev, `video gap at ${s.uri}`);
          }
        }
        next[f.trackId] = end;
      }
      prevEnd = next;
    }
  });
});
