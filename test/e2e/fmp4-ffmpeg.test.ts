/**
 * Proves the muxer output is real fMP4: real x264/AAC frames, split by our own parsers, muxed
 * by our writers, then probed and fully decoded by ffmpeg.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAsc } from '../../src/media/aac.js';
import { writeInitSegment } from '../../src/media/fmp4-init.js';
import { writeMediaSegment } from '../../src/media/fmp4-segment.js';
import type { Sample } from '../../src/media/fmp4-types.js';
import { isKeyframeAccessUnit, nalType, parseAvcC, parseSps, splitAnnexB } from '../../src/media/h264.js';

const FFMPEG = process.env.FFMPEG_PATH ?? 'ffmpeg';
const FFPROBE = process.env.FFPROBE_PATH ?? 'ffprobe';
const VIDEO_TS = 90000;
const FPS = 30;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
}

/** Groups Annex B NAL units into access units (H.264 7.4.1.2.3: a new AU starts at AUD/SPS/PPS/SEI or a slice with first_mb 0). */
function accessUnits(nals: Buffer[]): Buffer[][] {
  const aus: Buffer[][] = [];
  let cur: Buffer[] = [];
  let hasSlice = false;
  for (const nal of nals) {
    const t = nalType(nal);
    const isSlice = t === 1 || t === 5;
    const startsAu = (t >= 6 && t <= 9) || (isSlice && ((nal[1] as number) & 0x80) !== 0);
    if (startsAu && hasSlice) {
      aus.push(cur);
      cur = [];
      hasSlice = false;
    }
    cur.push(nal);
    hasSlice ||= isSlice;
  }
  if (cur.length) aus.push(cur);
  return aus;
}

function lengthPrefixed(nals: Buffer[]): Buffer {
  return Buffer.concat(
    nals.flatMap((n) => {
      const len = Buffer.alloc(4);
      len.writeUInt32BE(n.length);
      return [len, n];
    }),
  );
}

function buildAvcC(sps: Buffer, pps: Buffer): Buffer {
  const len = (b: Buffer) => Buffer.from([b.length >> 8, b.length & 0xff]);
  return Buffer.concat([
    Buffer.from([1, sps[1]!, sps[2]!, sps[3]!, 0xff, 0xe1]),
    len(sps),
    sps,
    Buffer.from([1]),
    len(pps),
    pps,
  ]);
}

/** ADTS (14496-3 1.A.2) frames to raw AAC frames plus an AudioSpecificConfig. */
function splitAdts(buf: Buffer): { asc: Buffer; frames: Buffer[] } {
  const frames: Buffer[] = [];
  let asc: Buffer | undefined;
  for (let pos = 0; pos < buf.length;) {
    assert.equal(buf.readUInt16BE(pos) & 0xfff0, 0xfff0, `ADTS sync at ${pos}`);
    const protectionAbsent = buf[pos + 1]! & 1;
    const profile = buf[pos + 2]! >> 6;
    const sfIndex = (buf[pos + 2]! >> 2) & 0xf;
    const channels = ((buf[pos + 2]! & 1) << 2) | (buf[pos + 3]! >> 6);
    const frameLength = ((buf[pos + 3]! & 3) << 11) | (buf[pos + 4]! << 3) | (buf[pos + 5]! >> 5);
    const header = protectionAbsent ? 7 : 9;
    if (!asc) {
      const v = ((profile + 1) << 11) | (sfIndex << 7) | (channels << 3);
      asc = Buffer.from([v >> 8, v & 0xff]);
    }
    frames.push(buf.subarray(pos + header, pos + frameLength));
    pos += frameLength;
  }
  assert.ok(asc);
  return { asc, frames };
}

describe('fMP4 muxer output accepted by ffmpeg', () => {
  let dir = '';
  let out = '';
  let src = '';
  let videoCount = 0;
  let audioCount = 0;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'corral-media-'));
    src = join(dir, 'src.mp4');
    // B-frames on purpose: composition offsets must come out right, negative ones included.
    run(FFMPEG, [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=320x240:rate=${FPS}`],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000', '-t', '2'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2', '-g', '30', '-keyint_min', '30'],
      ...['-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-video_track_timescale', String(VIDEO_TS)],
      ...['-c:a', 'aac', '-ac', '2', '-b:a', '96k', src],
    ]);
    const h264 = join(dir, 'v.h264');
    const adts = join(dir, 'a.aac');
    run(FFMPEG, [
      '-v',
      'error',
      '-y',
      '-i',
      src,
      '-map',
      '0:v',
      '-c',
      'copy',
      '-bsf:v',
      'h264_mp4toannexb',
      h264,
    ]);
    run(FFMPEG, ['-v', 'error', '-y', '-i', src, '-map', '0:a', '-c', 'copy', '-f', 'adts', adts]);
    const packets = (
      JSON.parse(
        run(FFPROBE, [
          '-v',
          'error',
          '-select_streams',
          'v',
          '-show_entries',
          'packet=pts,dts,flags',
          '-of',
          'json',
          src,
        ]),
      ) as { packets: Array<{ pts: number; dts: number; flags: string }> }
    ).packets;

    const aus = accessUnits(splitAnnexB(readFileSync(h264)));
    assert.equal(aus.length, packets.length, 'one access unit per mp4 packet');
    const sps = aus[0]!.find((n) => nalType(n) === 7)!;
    const pps = aus[0]!.find((n) => nalType(n) === 8)!;
    const avcC = buildAvcC(sps, pps);
    const cfg = parseAvcC(avcC);
    const info = parseSps(cfg.sps[0]!);
    assert.deepEqual([info.width, info.height, info.frameRate], [320, 240, FPS]);

    const dts0 = packets[0]!.dts;
    const video: Sample[] = aus.map((au, i) => {
      const p = packets[i]!;
      const next = packets[i + 1];
      const data = lengthPrefixed(au.filter((n) => ![7, 8, 9].includes(nalType(n))));
      const keyframe = isKeyframeAccessUnit(data, cfg.lengthSize);
      assert.equal(keyframe, p.flags.startsWith('K'), `keyframe flag of frame ${i}`);
      return { duration: next ? next.dts - p.dts : VIDEO_TS / FPS, cts: p.pts - p.dts, keyframe, data };
    });
    assert.ok(video.some((s) => s.cts < 0) || video.some((s) => s.cts > 0), 'B-frames give non-zero offsets');

    const { asc, frames } = splitAdts(readFileSync(adts));
    const aac = parseAsc(asc);
    const audio: Sample[] = frames.map((data) => ({
      duration: aac.samplesPerFrame,
      cts: 0,
      keyframe: true,
      data,
    }));

    const cut = video.findIndex((s, i) => i > 0 && s.keyframe);
    assert.equal(cut, 30);
    const cutSeconds = (packets[cut]!.dts - dts0) / VIDEO_TS;
    const audioCut = frames.findIndex((_, i) => (i * aac.samplesPerFrame) / aac.sampleRate >= cutSeconds);
    const sum = (s: Sample[]) => s.reduce((a, b) => a + b.duration, 0);

    const init = writeInitSegment([
      { kind: 'video', id: 1, timescale: VIDEO_TS, avcC, width: info.width, height: info.height },
      {
        kind: 'audio',
        id: 2,
        timescale: aac.sampleRate,
        asc,
        channels: aac.channels,
        sampleRate: aac.sampleRate,
      },
    ]);
    const seg = (n: number, v: Sample[], a: Sample[], vBase: number, aBase: number) =>
      writeMediaSegment({
        sequenceNumber: n,
        styp: true,
        fragments: [
          { trackId: 1, baseMediaDecodeTime: vBase, samples: v },
          { trackId: 2, baseMediaDecodeTime: aBase, samples: a },
        ],
      });
    const v1 = video.slice(0, cut);
    const seg1 = seg(1, v1, audio.slice(0, audioCut), 0, 0);
    const seg2 = seg(2, video.slice(cut), audio.slice(audioCut), sum(v1), sum(audio.slice(0, audioCut)));
    out = join(dir, 'out.mp4');
    writeFileSync(out, Buffer.concat([init, seg1, seg2]));
    videoCount = video.length;
    audioCount = audio.length;
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ffprobe sees h264 320x240 and aac 48 kHz stereo lasting about 2 s', () => {
    const probe = JSON.parse(
      run(FFPROBE, ['-v', 'error', '-count_packets', '-show_streams', '-show_format', '-of', 'json', out]),
    ) as {
      streams: Array<Record<string, string | number>>;
      format: { duration: string };
    };
    const v = probe.streams.find((s) => s.codec_type === 'video')!;
    const a = probe.streams.find((s) => s.codec_type === 'audio')!;
    assert.equal(v.codec_name, 'h264');
    assert.equal(v.width, 320);
    assert.equal(v.height, 240);
    assert.equal(Number(v.nb_read_packets), videoCount);
    assert.equal(a.codec_name, 'aac');
    assert.equal(a.sample_rate, '48000');
    assert.equal(a.channels, 2);
    assert.equal(Number(a.nb_read_packets), audioCount);
    const duration = Number(probe.format.duration);
    assert.ok(Math.abs(duration - 2) < 0.15, `duration ${duration}`);
  });

  it('ffmpeg decodes every frame without errors', () => {
    const r = spawnSync(FFMPEG, ['-v', 'error', '-i', out, '-f', 'null', '-'], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.equal(r.stderr, '');
  });

  it('decoded pictures are identical to the source, frame for frame, at the same relative times', () => {
    // framemd5 lines: stream, dts, pts, duration, size, hash (presentation order, 1/90000 here).
    const frames = (file: string) =>
      run(FFMPEG, [
        '-v',
        'error',
        '-i',
        file,
        '-map',
        '0:v',
        '-fps_mode',
        'passthrough',
        '-f',
        'framemd5',
        '-',
      ])
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(',').map((f) => f.trim()));
    const ours = frames(out);
    const theirs = frames(src);
    assert.equal(ours.length, videoCount);
    assert.deepEqual(
      ours.map((f) => f[5]),
      theirs.map((f) => f[5]),
    );
    // Without an edit list our presentation starts at the first composition offset; the spacing
    // of every picture must still match the source exactly.
    const shift = Number(ours[0]![2]) - Number(theirs[0]![2]);
    assert.deepEqual(
      ours.map((f) => Number(f[2]) - shift),
      theirs.map((f) => Number(f[2])),
    );
  });
});
