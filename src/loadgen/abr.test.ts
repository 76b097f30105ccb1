import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseRendition, ThroughputEstimate, UP_HEADROOM, type AbrInput } from './abr.js';

const LADDER = [400_000, 1_200_000, 3_000_000];

function input(o: Partial<AbrInput>): AbrInput {
  return {
    bandwidths: LADDER,
    current: 0,
    throughputBps: undefined,
    lastFetchMs: 50,
    lastMediaS: 1,
    bufferS: 3,
    ...o,
  };
}

describe('ABR choice', () => {
  it('stays put without a measurement', () => {
    assert.equal(chooseRendition(input({ current: 0 })), 0);
    assert.equal(chooseRendition(input({ current: 1 })), 1);
  });

  it('climbs one rung at a time, only with headroom over the next rung', () => {
    assert.equal(chooseRendition(input({ throughputBps: 1_200_000 * UP_HEADROOM })), 1);
    assert.equal(chooseRendition(input({ throughputBps: 1_200_000 * UP_HEADROOM - 1 })), 0);
    assert.equal(chooseRendition(input({ throughputBps: 1e9 })), 1, 'never skips a rung');
    assert.equal(chooseRendition(input({ current: 2, throughputBps: 1e9 })), 2, 'stays at the top');
  });

  it('does not climb with too little buffer', () => {
    assert.equal(chooseRendition(input({ throughputBps: 1e9, bufferS: 0.2 })), 0);
  });

  it('steps down when throughput falls under the current rung', () => {
    assert.equal(chooseRendition(input({ current: 2, throughputBps: 2_900_000 })), 1);
    assert.equal(chooseRendition(input({ current: 0, throughputBps: 1 })), 0, 'never below the lowest');
  });

  it('steps down on a slow fetch whatever the average says', () => {
    assert.equal(
      chooseRendition(input({ current: 2, throughputBps: 1e9, lastFetchMs: 900, lastMediaS: 1 })),
      1,
    );
    assert.equal(
      chooseRendition(input({ current: 1, throughputBps: 1e9, lastFetchMs: 300, lastMediaS: 0.334 })),
      0,
    );
    assert.equal(
      chooseRendition(input({ current: 1, throughputBps: 2e6, lastFetchMs: 200, lastMediaS: 1 })),
      1,
    );
  });

  it('a current index out of range is clamped to the ladder', () => {
    assert.equal(chooseRendition(input({ current: 9 })), 2);
  });
});

describe('ThroughputEstimate', () => {
  it('averages samples, newest weighted most, and ignores tiny fetches', () => {
    const e = new ThroughputEstimate();
    e.sample(500, 1);
    assert.equal(e.bps, undefined, 'under 1000 bytes says nothing');
    e.sample(125_000, 1000);
    assert.equal(e.bps, 1_000_000);
    e.sample(250_000, 1000);
    assert.ok(e.bps! > 1_000_000 && e.bps! < 2_000_000);
  });
});
