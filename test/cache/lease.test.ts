import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeaseTable } from '../../src/cache/lease.js';
import { sleep } from './helpers.js';

describe('lease table (multi-worker single flight)', () => {
  it('the first asker owns a key; later askers are sent to it', () => {
    const t = new LeaseTable();
    assert.equal(t.acquire('/a', 1), 1);
    assert.equal(t.acquire('/a', 2), 1);
    assert.equal(t.acquire('/b', 2), 2);
  });

  it("a dead owner's keys get a new owner", () => {
    const t = new LeaseTable();
    t.acquire('/a', 1);
    t.acquire('/b', 1);
    t.acquire('/c', 2);
    assert.equal(t.dropOwner(1), 2);
    assert.equal(t.acquire('/a', 2), 2);
    assert.equal(t.ownerOf('/c'), 2);
  });

  it('a lease lasts while the owner says its object is usable, plus the grace period', async () => {
    const t = new LeaseTable({ grantMs: 50, graceMs: 20 });
    t.acquire('/a', 1);
    t.extend('/a', 1, 150);
    t.extend('/a', 2, 10_000); // not the owner: ignored
    await sleep(100);
    assert.equal(t.acquire('/a', 2), 1, 'still within the usable time');
    await sleep(120);
    assert.equal(t.acquire('/a', 2), 2, 'expired: next asker owns it');
  });

  it('is bounded: least recently used leases go first', () => {
    const t = new LeaseTable({ max: 2 });
    t.acquire('/a', 1);
    t.acquire('/b', 1);
    t.acquire('/c', 1);
    assert.equal(t.size, 2);
    assert.equal(t.ownerOf('/a'), undefined);
  });
});
