import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AudioFrame, VideoFrame } from '../media/types.js';
import { PartBuilder } from './parts.js';

const TARGET_MS = 334;

function video(fps: number, seconds: number): VideoFrame[] {
  return Array.from({ length: fps * seconds }, (_, i) => ({
    type: 'video' as const,
    dts: Math.round((i * 1000) / fps),
    cts: 0,
    keyframe: i === 0,
    data: Buffer.from([0]),
  }));
}

function audio(seconds: number): AudioFrame[] {
  const frameMs = 1024 / 48;
  return Array.from({ length: Math.floor((seconds * 1000) / frameMs) }, (_, i) => ({
    type: 'audio' as const,
    dts: Math.round(i * frameMs),
    data: Buffer.from([0]),
  }));
}

// Regression: at 25 fps a part took a ninth frame and lasted 360 ms, past PART-TARGET (0.334 s),
// which strict parsers reject.
test('every part stays within the part target and above 85 % of it, whatever the frame rate', () => {
  const cases: Array<[string, Array<VideoFrame | AudioFrame>, boolean, number]> = [
    ['24 fps', video(24, 4), true, 333],
    ['25 fps', video(25, 4), true, 320],
    ['30 fps', video(30, 4), true, 333],
    ['60 fps', video(60, 4), true, 333],
    ['audio only, 48 kHz AAC', audio(4), false, 320],
  ];
  for (const [name, frames, hasVideo, typical] of cases) {
    const b = new PartBuilder(TARGET_MS, hasVideo);
    const durations = frames.flatMap((f) => {
      const p = b.push(f);
      return p ? [p.durationMs] : [];
    });
    assert.ok(durations.length >= 10, name);
    for (const d of durations) {
      assert.ok(d <= TARGET_MS && d >= 0.85 * TARGET_MS, `${name}: a ${d} ms part`);
    }
    assert.equal(durations[0], typical, name);
  }
});
