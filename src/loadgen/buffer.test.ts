import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PlaybackBuffer } from './buffer.js';

describe('PlaybackBuffer', () => {
  it('starts once the start threshold is buffered, and drains in real time', () => {
    const b = new PlaybackBuffer(1, 1);
    b.append(0, 0.5, 0);
    assert.equal(b.started, false);
    b.append(0, 0.5, 100);
    assert.equal(b.started, true);
    assert.equal(b.startedAtMs, 100);
    assert.equal(b.bufferedS(600), 0.5);
    assert.equal(b.rebuffers, 0);
  });

  it('counts a rebuffer when the buffer runs dry, and the time stalled until it resumes', () => {
    const b = new PlaybackBuffer(1, 1);
    b.append(0, 1, 0);
    b.append(0, 1, 1000); // on time: 1 s left
    assert.equal(b.rebuffers, 0);
    // Next media arrives 1.5 s later: dry at 2000, stalled until 2500 (when 1 s is buffered again).
    b.append(0, 1, 2500);
    assert.equal(b.rebuffers, 1);
    assert.equal(b.playing, true);
    assert.equal(b.stallMs, 500);
    assert.equal(b.stalledMs(2600), 500);
  });

  it('a stall in progress counts up to now, and resumes only at the threshold', () => {
    const b = new PlaybackBuffer(1, 1);
    b.append(0, 1, 0);
    assert.equal(b.stalledMs(1500), 500);
    assert.equal(b.rebuffers, 1);
    b.append(0, 0.5, 1600);
    assert.equal(b.playing, false, 'half a second is under the threshold');
    b.append(0, 0.5, 1800);
    assert.equal(b.playing, true);
    assert.equal(b.stallMs, 800);
  });

  it('plays only as far as the shortest track (video and a separate audio rendition)', () => {
    const b = new PlaybackBuffer(2, 1);
    b.append(0, 3, 0);
    assert.equal(b.started, false, 'no audio yet');
    b.append(1, 1, 0);
    assert.equal(b.started, true);
    assert.equal(b.bufferedS(500), 0.5);
    b.advance(1200);
    assert.equal(b.rebuffers, 1, 'audio ran out although video had more');
  });

  it('startup wait is not a rebuffer', () => {
    const b = new PlaybackBuffer(1, 1);
    b.advance(5000);
    b.append(0, 1, 6000);
    assert.equal(b.rebuffers, 0);
    assert.equal(b.stallMs, 0);
  });
});
