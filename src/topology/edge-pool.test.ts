import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EdgePool } from './edge-pool.js';

const EDGES = [
  { name: 'eu-1', region: 'eu', url: 'http://eu-1' },
  { name: 'eu-2', region: 'eu', url: 'http://eu-2' },
  { name: 'us-1', region: 'us', url: 'http://us-1' },
];

function pool() {
  const clock = { now: 0 };
  return { clock, pool: new EdgePool(EDGES, 2_500, () => clock.now) };
}

const pick = (p: EdgePool, region: string) => p.choose(region)?.edge.name;

test('no edge has answered yet: nobody is sent anywhere', () => {
  assert.equal(pool().pool.choose('eu'), undefined);
});

test('the least-loaded healthy edge of the region, counting viewers sent since its report', () => {
  const { pool: p } = pool();
  p.report('eu-1', 10);
  p.report('eu-2', 8);
  p.report('us-1', 0);
  // eu-2 reported 8: it takes viewers until the two are level, then they alternate.
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6].map(() => pick(p, 'eu')),
    ['eu-2', 'eu-2', 'eu-1', 'eu-2', 'eu-1', 'eu-2'],
  );
  assert.equal(pick(p, 'us'), 'us-1');
  // A fresh report replaces the count of viewers sent: they are in its load now.
  p.report('eu-1', 1);
  assert.equal(pick(p, 'eu'), 'eu-1');
});

test('an edge that fails a poll, or whose last answer is too old, gets no new viewers', () => {
  const { clock, pool: p } = pool();
  p.report('eu-1', 0);
  p.report('eu-2', 50);
  p.report('us-1', 0);
  assert.equal(pick(p, 'eu'), 'eu-1');
  p.report('eu-1', undefined);
  assert.equal(pick(p, 'eu'), 'eu-2');
  p.report('eu-1', 0);
  assert.equal(pick(p, 'eu'), 'eu-1');
  // eu-1 stops answering at all (a hung poll reports nothing): out once its answer is 2.5 s old.
  clock.now = 2_000;
  p.report('eu-2', 50);
  p.report('us-1', 0);
  assert.equal(pick(p, 'eu'), 'eu-1');
  clock.now = 2_501;
  assert.equal(pick(p, 'eu'), 'eu-2');
});

test('a region with no healthy edge borrows one from elsewhere, and says so', () => {
  const { pool: p } = pool();
  p.report('eu-1', 0);
  p.report('us-1', undefined);
  assert.deepEqual(p.choose('us'), { edge: p.edges[0], outOfRegion: true });
  assert.deepEqual(p.choose('eu'), { edge: p.edges[0], outOfRegion: false });
  p.report('eu-1', undefined);
  assert.equal(p.choose('us'), undefined);
});
