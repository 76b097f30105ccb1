import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playlistLifetimeS, playlistStaleWhileRevalidateS } from './lifetime.js';

test('playlist lifetime: half a target duration in whole seconds, never 0 (no-cache)', () => {
  const cases: Array<[targetS: number, configured: number, want: number]> = [
    [1, 0, 1], // the regression: 0.5 rounded to 0 = no-cache, every poll reached the origin
    [2, 0, 1],
    [3, 0, 1],
    [4, 0, 2],
    [6, 0, 3],
    [10, 0, 5],
    [1, 2, 2], // configured per stream or server
    [6, 1, 1],
  ];
  for (const [t, c, want] of cases) assert.equal(playlistLifetimeS(t, c), want, `TD ${t}, configured ${c}`);
  assert.equal(playlistStaleWhileRevalidateS(1), 1);
});
