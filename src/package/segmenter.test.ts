import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Segmenter, type SegmentMedia } from './segmenter.js';
import type { AudioFrame, VideoFrame } from '../media/types.js';

const v = (dts: number, keyframe: boolean, cts = 0): VideoFrame => ({
  type: 'video',
  dts,
  cts,
  keyframe,
  data: Buffer.alloc(4),
});
const a = (dts: number): AudioFrame => ({ type: 'audio', dts, data: Buffer.alloc(2) });

/** 30 fps with ms rounding like FLV timestamps: 0, 33, 67, 100, ... */
function frameTimes(seconds: number, fps = 30): number[] {
  return Array.from({ length: seconds * fps }, (_, i) => Math.round((i * 1000) / fps));
}

function run(seg: Segmenter, frames: Array<VideoFrame | AudioFrame>): SegmentMedia[] {
  const out: SegmentMedia[] = [];
  for (const f of frames) {
    const s = seg.push(f);
    if (s) out.push(s);
  }
  const last = seg.flush();
  if (last) out.push(last);
  return out;
}

test('a 1 s GOP gives 1 s segments that start on keyframes', () => {
  const frames = frameTimes(5).map((t, i) => v(t, i % 30 === 0));
  const segs = run(new Segmenter({ targetMs: 1000, maxMs: 10_000 }, true), frames);
  assert.equal(segs.length, 5);
  for (const s of segs) {
    assert.ok(Math.abs(s.durationMs - 1000) <= 34, `duration ${s.durationMs}`);
    assert.equal(s.video[0]!.keyframe, true);
    assert.equal(s.independent, true);
    assert.equal(s.video.length, 30);
  }
  // Durations chain without gaps: each segment ends where the next begins.
  for (let i = 1; i < segs.length; i++) {
    assert.equal(segs[i - 1]!.startMs + segs[i - 1]!.durationMs, segs[i]!.startMs);
  }
});

test('a 0.5 s GOP still aims at the 1 s target', () => {
  const frames = frameTimes(4).map((t, i) => v(t, i % 15 === 0));
  const segs = run(new Segmenter({ targetMs: 1000, maxMs: 10_000 }, true), frames);
  assert.equal(segs.length, 4);
  assert.ok(segs.every((s) => Math.abs(s.durationMs - 1000) <= 34));
});

test('frames before the first keyframe are dropped, with their audio', () => {
  const frames = [
    a(0),
    v(0, false),
    a(21),
    v(33, false),
    v(67, true),
    a(64),
    a(85),
    v(100, false),
    v(1067, true),
  ];
  const segs = run(new Segmenter({ targetMs: 1000, maxMs: 10_000 }, true), frames);
  assert.equal(segs[0]!.startMs, 67);
  assert.deepEqual(
    segs[0]!.video.map((f) => f.dts),
    [67, 100],
  );
  assert.deepEqual(
    segs[0]!.audio.map((f) => f.dts),
    [85],
  );
});

test('audio that arrives ahead of the cutting keyframe goes to the next segment', () => {
  const frames = [v(0, true), a(10), v(500, false), a(990), a(1010), v(1000, true), v(1500, false)];
  const segs = run(new Segmenter({ targetMs: 1000, maxMs: 10_000 }, true), frames);
  assert.deepEqual(
    segs[0]!.audio.map((f) => f.dts),
    [10, 990],
  );
  assert.deepEqual(
    segs[1]!.audio.map((f) => f.dts),
    [1010],
  );
});

test('video durations come from the next frame, B-frame cts kept', () => {
  const frames = [v(0, true, 67), v(33, false, 100), v(67, false, 0), v(1000, true, 67)];
  const segs = run(new Segmenter({ targetMs: 1000, maxMs: 10_000 }, true), frames);
  assert.deepEqual(
    segs[0]!.video.map((f) => [f.duration, f.cts]),
    [
      [33, 67],
      [34, 100],
      [933, 0],
    ],
  );
});

test('a broken GOP is cut at the limit so EXTINF never exceeds the target duration', () => {
  const seg = new Segmenter({ targetMs: 1000, maxMs: 10_000 }, true);
  seg.limitTo(1);
  const frames = frameTimes(5).map((t, i) => v(t, i === 0));
  const segs = run(seg, frames);
  assert.ok(segs.length >= 3);
  for (const s of segs) assert.ok(Math.round(s.durationMs / 1000) <= 1, `duration ${s.durationMs}`);
  assert.equal(segs[1]!.independent, false);
});

test('audio-only streams are cut by duration', () => {
  const frames = Array.from({ length: 150 }, (_, i) => a(Math.round(i * 21.333)));
  const segs = run(new Segmenter({ targetMs: 1000, maxMs: 10_000 }, false), frames);
  assert.equal(segs.length, 4);
  assert.ok(segs.slice(0, 3).every((s) => Math.abs(s.durationMs - 1000) < 25));
});

test('audio that goes on without video is cut at the limit instead of piling up', () => {
  const seg = new Segmenter({ targetMs: 1000, maxMs: 10_000 }, true);
  seg.limitTo(1);
  const out: SegmentMedia[] = [];
  const push = (f: VideoFrame | AudioFrame) => {
    const s = seg.push(f);
    if (s) out.push(s);
  };
  push(v(0, true));
  for (let i = 0; i < 470; i++) push(a(Math.round(i * 21.333)));
  assert.ok(out.length >= 5, `${out.length} segments for 10 s of audio`);
  for (const s of out) assert.ok(s.durationMs <= 1499, `duration ${s.durationMs}`);
  assert.ok(seg.bufferedFrames() < 150, `${seg.bufferedFrames()} frames still buffered`);
});
