import { test } from 'node:test';
import assert from 'node:assert/strict';
import { transcodeSchema } from '../config/schema.js';
import { DEFAULT_LADDER, planLadder } from './ladder.js';

const names = (src: { width: number; height: number }) => planLadder(src, DEFAULT_LADDER).map((r) => r.name);

test('the schema default ladder is DEFAULT_LADDER', () => {
  assert.deepEqual(transcodeSchema.parse({}).ladder, DEFAULT_LADDER);
});

test('never upscale: rungs taller than the source are skipped', () => {
  assert.deepEqual(names({ width: 1280, height: 720 }), ['480p', '360p']);
  assert.deepEqual(names({ width: 1920, height: 1080 }), ['720p', '480p', '360p']);
  assert.deepEqual(names({ width: 1280, height: 700 }), ['480p', '360p']);
  // At or below the smallest rung: passthrough only.
  assert.deepEqual(names({ width: 640, height: 360 }), []);
  assert.deepEqual(names({ width: 400, height: 224 }), []);
  assert.deepEqual(names({ width: 0, height: 0 }), []);
});

test("a rung at the source's height only when asked for: the passthrough already is that rendition", () => {
  assert.equal(transcodeSchema.parse({}).sourceHeightRung, false);
  const withCopy = (w: number, h: number) =>
    planLadder({ width: w, height: h }, DEFAULT_LADDER, true).map((r) => r.name);
  assert.deepEqual(withCopy(1280, 720), ['720p', '480p', '360p']);
  assert.deepEqual(withCopy(1920, 1080), ['1080p', '720p', '480p', '360p']);
  assert.deepEqual(withCopy(640, 360), ['360p']);
});

test('widths keep the source aspect ratio and are even', () => {
  const r = planLadder({ width: 1280, height: 720 }, DEFAULT_LADDER, true);
  assert.deepEqual(
    r.map((x) => [x.width, x.height, x.videoKbps]),
    [
      [1280, 720, 2800],
      [854, 480, 1200],
      [640, 360, 700],
    ],
  );
  // 4:3 and a portrait source.
  assert.deepEqual(
    planLadder({ width: 640, height: 480 }, DEFAULT_LADDER, true).map((x) => [x.width, x.height]),
    [
      [640, 480],
      [480, 360],
    ],
  );
  const portrait = planLadder({ width: 1080, height: 1920 }, DEFAULT_LADDER);
  assert.ok(portrait.every((x) => x.width % 2 === 0 && x.height % 2 === 0));
  assert.equal(portrait[0]!.width, 608); // 1080 * 1080 / 1920 = 607.5 -> even
});

test('configured ladders are sorted top first and de-duplicated', () => {
  const r = planLadder(
    { width: 1920, height: 1080 },
    [
      { height: 360, videoKbps: 600 },
      { height: 1080, videoKbps: 6000 },
      { height: 360, videoKbps: 800 },
    ],
    true,
  );
  assert.deepEqual(
    r.map((x) => `${x.name}@${x.videoKbps}`),
    ['1080p@6000', '360p@600'],
  );
});
