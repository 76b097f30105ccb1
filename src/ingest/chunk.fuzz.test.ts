import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ChunkReader, CHUNK_STREAM_COST, type ChunkReaderLimits } from './chunk-reader.js';
import { ChunkWriter, type OutMessage } from './chunk-writer.js';
import { isCorralError } from '../util/errors.js';

// Fixed case counts so a CI log shows how much was tried; the seed is fast-check's own per run.
const RUNS = 1500;
const limits: ChunkReaderLimits = {
  maxChunkSize: 1 << 16,
  maxMessageSize: 1 << 16,
  maxChunkStreams: 16,
  maxBufferedBytes: 1 << 18,
};

/** Feed `wire` in the given split points; returns the messages or the coded error that stopped it. */
function feed(wire: Buffer, cuts: number[]) {
  const r = new ChunkReader(limits);
  const out = [];
  let at = 0;
  try {
    for (const c of [...cuts.map((x) => x % (wire.length + 1)).sort((a, b) => a - b), wire.length]) {
      if (c < at) continue;
      out.push(...r.push(wire.subarray(at, c)));
      at = c;
      // The bound holds after every read, whatever the input.
      assert.ok(r.bufferedBytes <= limits.maxBufferedBytes + limits.maxChunkStreams * CHUNK_STREAM_COST + 18);
    }
    return { out, error: undefined };
  } catch (e) {
    if (!isCorralError(e) || !e.code.startsWith('RTMP_')) throw e;
    return { out, error: e.code };
  }
}

const message = fc
  .record({
    csid: fc.integer({ min: 2, max: 400 }),
    typeId: fc.constantFrom(8, 9, 18, 20),
    streamId: fc.integer({ min: 0, max: 3 }),
    timestamp: fc.integer({ min: 0, max: 0x7fffffff }),
    payload: fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a)),
  })
  .map((m) => ({ ...m })); // fast-check records have a null prototype; the reader's do not

test(`fuzz: chunk reader on random bytes (${RUNS} cases): messages or an RTMP_* error, memory bounded`, () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 4000 }), fc.array(fc.nat(), { maxLength: 8 }), (bytes, cuts) => {
      feed(Buffer.from(bytes), cuts);
    }),
    { numRuns: RUNS },
  );
});

test(`fuzz: chunk writer -> reader round trip in any split (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 12 }),
      fc.integer({ min: 1, max: 700 }),
      fc.array(fc.nat(), { maxLength: 8 }),
      (msgs: OutMessage[], chunkSize, cuts) => {
        const w = new ChunkWriter();
        const wire = Buffer.concat([w.setChunkSize(chunkSize), ...msgs.map((m) => w.write(m))]);
        const { out, error } = feed(wire, cuts);
        assert.equal(error, undefined);
        assert.deepEqual(out, msgs);
      },
    ),
    { numRuns: RUNS },
  );
});

test(`fuzz: mutated valid chunk streams (${RUNS} cases) never throw anything but a coded error`, () => {
  fc.assert(
    fc.property(
      fc.array(message, { minLength: 1, maxLength: 6 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
      fc.nat(),
      (msgs: OutMessage[], flips, cut) => {
        const w = new ChunkWriter();
        const wire = Buffer.concat([w.setChunkSize(64), ...msgs.map((m) => w.write(m))]);
        for (const [pos, val] of flips) wire[pos % wire.length] = val;
        feed(wire.subarray(0, wire.length - (cut % 4)), [cut]);
      },
    ),
    { numRuns: RUNS },
  );
});
