import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PartArena } from './part-arena.js';

const part = (n: number, fill: number) => Buffer.alloc(n, fill);

/** What the packager does: reserve the part's room, then write it there. */
function add(arena: PartArena, p: Buffer, first: boolean): Buffer {
  const view = arena.reserve(p.length, first);
  assert.equal(view.length, p.length);
  p.copy(view);
  return view;
}

test('parts lie back to back: the segment is a view over them, not a copy', () => {
  const arena = new PartArena();
  const parts = [part(3000, 1), part(5000, 2), part(100, 3)];
  const views = parts.map((p, i) => add(arena, p, i === 0));
  views.forEach((v, i) => assert.ok(v.equals(parts[i]!)));
  const seg = arena.joined(views)!;
  assert.ok(seg.equals(Buffer.concat(parts)));
  assert.equal(seg.buffer, views[0]!.buffer, 'one buffer for the segment and its parts');
  // The next segment starts a buffer of its own, sized from this one.
  const next = add(arena, part(10, 4), true);
  assert.notEqual(next.buffer, seg.buffer);
  assert.ok(next.buffer.byteLength >= seg.length);
});

test('a part that does not fit starts a new buffer; joined then says so and bytes stay right', () => {
  const arena = new PartArena();
  const a = add(arena, part(1000, 5), true);
  const big = part(200_000, 6);
  const b = add(arena, big, false);
  assert.ok(a.equals(part(1000, 5)));
  assert.ok(b.equals(big));
  assert.notEqual(a.buffer, b.buffer);
  assert.equal(arena.joined([a, b]), undefined);
  assert.equal(arena.joined([]), undefined);
  // Out of order is not a segment either.
  const c = add(arena, part(10, 7), true);
  const d = add(arena, part(10, 8), false);
  assert.equal(arena.joined([d, c]), undefined);
  assert.ok(arena.joined([c, d])!.equals(Buffer.concat([part(10, 7), part(10, 8)])));
});
