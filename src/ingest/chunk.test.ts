import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK_STREAM_COST, ChunkReader, type ChunkReaderLimits, type RtmpMessage } from './chunk-reader.js';
import { ChunkWriter, type OutMessage } from './chunk-writer.js';
import { isCorralError } from '../util/errors.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const limits: ChunkReaderLimits = {
  maxChunkSize: 1 << 20,
  maxMessageSize: 1 << 20,
  maxChunkStreams: 16,
  maxBufferedBytes: 4 << 20,
};
const bytes = (n: number, seed = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (i + seed) & 0xff));
const msg = (
  csid: number,
  typeId: number,
  streamId: number,
  timestamp: number,
  payload: Buffer,
): RtmpMessage => ({
  csid,
  typeId,
  streamId,
  timestamp,
  payload,
});

test('chunk reader: fmt 0 single chunk', () => {
  const r = new ChunkReader(limits);
  const out = r.push(hex('03 0003e8 000004 14 01000000 deadbeef'));
  assert.deepEqual(out, [msg(3, 20, 1, 1000, hex('deadbeef'))]);
  assert.equal(r.bytesReceived, 16);
  // No message is held; the one chunk stream's state is.
  assert.equal(r.bufferedBytes, CHUNK_STREAM_COST);
});

test('chunk reader: fmt 0 then fmt 3 continuation at the default chunk size 128', () => {
  const p = bytes(200);
  const r = new ChunkReader(limits);
  const out = r.push(
    Buffer.concat([hex('03 000000 0000c8 09 01000000'), p.subarray(0, 128), hex('c3'), p.subarray(128)]),
  );
  assert.deepEqual(out, [msg(3, 9, 1, 0, p)]);
});

test('chunk reader: fmt 1, fmt 2 and fmt 3 headers carry deltas forward', () => {
  const r = new ChunkReader(limits);
  const out = r.push(
    Buffer.concat([
      hex('04 000064 000002 08 01000000 aaaa'), // fmt 0: ts 100
      hex('44 000021 000003 09 bbbbbb'), // fmt 1: delta 33, new length and type
      hex('84 000010 cccccc'), // fmt 2: delta 16, same length and type
      hex('c4 dddddd'), // fmt 3: the same delta again
    ]),
  );
  assert.deepEqual(out, [
    msg(4, 8, 1, 100, hex('aaaa')),
    msg(4, 9, 1, 133, hex('bbbbbb')),
    msg(4, 9, 1, 149, hex('cccccc')),
    msg(4, 9, 1, 165, hex('dddddd')),
  ]);
});

test('chunk reader: extended timestamp, repeated on fmt 3 continuation and on a fmt 3 message', () => {
  const p = bytes(200);
  const r = new ChunkReader(limits);
  const out = r.push(
    Buffer.concat([
      hex('05 ffffff 0000c8 09 01000000 01000000'), // ts 0x01000000 in the extended field
      p.subarray(0, 128),
      hex('c5 01000000'), // continuation repeats the extended field
      p.subarray(128),
      hex('c5 01000000'), // a new message with fmt 3: delta = the extended field
      p.subarray(0, 128),
      hex('c5 01000000'),
      p.subarray(128),
    ]),
  );
  assert.deepEqual(out, [msg(5, 9, 1, 0x01000000, p), msg(5, 9, 1, 0x02000000, p)]);
});

test('chunk reader: extended timestamp missing on a continuation chunk is tolerated', () => {
  const p = bytes(200, 7);
  const r = new ChunkReader(limits);
  const out = r.push(
    Buffer.concat([
      hex('05 ffffff 0000c8 09 01000000 01000000'),
      p.subarray(0, 128),
      hex('c5'),
      p.subarray(128),
    ]),
  );
  assert.deepEqual(out, [msg(5, 9, 1, 0x01000000, p)]);
});

test('chunk reader: 2-byte and 3-byte basic headers', () => {
  const r = new ChunkReader(limits);
  const out = r.push(
    Buffer.concat([
      hex('00 0a 000001 000001 12 00000000 11'), // csid 64 + 10
      hex('01 2c01 000002 000001 12 00000000 22'), // csid 64 + 0x012c = 364
      hex('01 ffff 000003 000001 12 00000000 33'), // csid 65599, the largest
      hex('40 0a 000001 000001 12 44'), // fmt 1 on csid 74
    ]),
  );
  assert.deepEqual(
    out.map((m) => [m.csid, m.timestamp, m.payload[0]]),
    [
      [74, 1, 0x11],
      [364, 2, 0x22],
      [65599, 3, 0x33],
      [74, 2, 0x44],
    ],
  );
});

const interleaved = () => {
  const a = bytes(200, 1);
  const b = bytes(200, 2);
  const input = Buffer.concat([
    hex('04 000010 0000c8 09 01000000'),
    a.subarray(0, 128),
    hex('06 000020 0000c8 08 01000000'),
    b.subarray(0, 128),
    hex('c4'),
    a.subarray(128),
    hex('c6'),
    b.subarray(128),
  ]);
  return { input, expected: [msg(4, 9, 1, 16, a), msg(6, 8, 1, 32, b)] };
};

test('chunk reader: interleaved chunk streams', () => {
  const { input, expected } = interleaved();
  assert.deepEqual(new ChunkReader(limits).push(input), expected);
});

test('chunk reader: truncated input waits for more (fed one byte at a time)', () => {
  const { input, expected } = interleaved();
  const r = new ChunkReader(limits);
  const out: RtmpMessage[] = [];
  for (let i = 0; i < input.length; i++) {
    const got = r.push(input.subarray(i, i + 1));
    if (i < input.length - 1) assert.ok(out.length + got.length < 2, 'no message before its last byte');
    out.push(...got);
  }
  assert.deepEqual(out, expected);
  assert.equal(r.bufferedBytes, 2 * CHUNK_STREAM_COST);
});

test('chunk reader: Set Chunk Size applies to the next chunk', () => {
  const p = bytes(1000);
  const r = new ChunkReader(limits);
  const out = r.push(
    Buffer.concat([hex('02 000000 000004 01 00000000 00001000'), hex('03 000000 0003e8 09 01000000'), p]),
  );
  assert.equal(r.chunkSize, 4096);
  assert.deepEqual(out, [msg(3, 9, 1, 0, p)]);
});

test('chunk reader: Abort discards a partial message', () => {
  const r = new ChunkReader(limits);
  const out = r.push(
    Buffer.concat([
      hex('04 000000 0000c8 09 01000000'),
      bytes(128),
      hex('02 000000 000004 02 00000000 00000004'), // Abort csid 4
      hex('04 000005 000001 09 01000000 77'),
    ]),
  );
  assert.deepEqual(out, [msg(4, 9, 1, 5, hex('77'))]);
  assert.equal(r.bufferedBytes, 2 * CHUNK_STREAM_COST);
});

function assertCode(fn: () => unknown, code: 'RTMP_LIMIT' | 'RTMP_PROTOCOL', re: RegExp) {
  assert.throws(fn, (e: unknown) => isCorralError(e, code) && re.test(e.message));
}

test('chunk reader rejects: absurd chunk size', () => {
  assertCode(
    () => new ChunkReader(limits).push(hex('02 000000 000004 01 00000000 7fffffff')),
    'RTMP_LIMIT',
    /Set Chunk Size/,
  );
  assertCode(
    () => new ChunkReader(limits).push(hex('02 000000 000004 01 00000000 00000000')),
    'RTMP_LIMIT',
    /Set Chunk Size 0/,
  );
  // The reserved top bit set reads as a value above any limit.
  assertCode(
    () => new ChunkReader(limits).push(hex('02 000000 000004 01 00000000 80000080')),
    'RTMP_LIMIT',
    /Set Chunk Size/,
  );
});

test('chunk reader rejects: message over the size limit, before reading its payload', () => {
  const r = new ChunkReader({ ...limits, maxMessageSize: 1024 });
  assertCode(
    () => r.push(hex('03 000000 000401 09 01000000')),
    'RTMP_LIMIT',
    /1025 bytes exceeds the limit of 1024/,
  );
});

test('chunk reader rejects: too many chunk streams', () => {
  const r = new ChunkReader({ ...limits, maxChunkStreams: 4 });
  for (let csid = 3; csid < 7; csid++) r.push(Buffer.from([csid, 0, 0, 0, 0, 0, 1, 9, 1, 0, 0, 0, 0xaa]));
  assertCode(() => r.push(hex('07 000000 000001 09 01000000 aa')), 'RTMP_LIMIT', /more than 4 chunk streams/);
});

test('chunk reader rejects: partial messages across streams beyond the buffer bound', () => {
  const r = new ChunkReader({ ...limits, maxBufferedBytes: 70_000 });
  // Each stream announces 100 KB and sends one 128-byte chunk: the sum, not one message, is the
  // threat, and what counts is the buffer each holds (16 KiB to start), not the 128 bytes sent.
  const start = (csid: number) =>
    Buffer.concat([Buffer.from([csid]), hex('000000 0186a0 09 01000000'), bytes(128)]);
  for (let csid = 3; csid < 7; csid++) r.push(start(csid));
  assert.equal(r.bufferedBytes, 4 * (16 * 1024 + CHUNK_STREAM_COST));
  assertCode(() => r.push(start(7)), 'RTMP_LIMIT', /unfinished messages/);
});

test('chunk reader regression: a 16 MiB message sent one byte per chunk is held in one buffer', () => {
  // The reported crash: chunk size 1, one Buffer per chunk, ~100 bytes of heap per byte sent while
  // the limit counted payload. Now the charge is the buffer's capacity, at most 2x the payload.
  const r = new ChunkReader({ ...limits, maxMessageSize: 16 << 20, maxBufferedBytes: 32 << 20 });
  r.push(hex('02 000000 000004 01 00000000 00000001')); // Set Chunk Size 1
  const sent = 300_000;
  const parts = [hex('03 000000 ffffff 09 01000000'), Buffer.from([0x55])];
  for (let i = 1; i < sent; i++) parts.push(Buffer.from([0xc3, i & 0xff]));
  assert.deepEqual(r.push(Buffer.concat(parts)), []);
  const held = r.bufferedBytes - 2 * CHUNK_STREAM_COST;
  assert.ok(held >= sent && held <= 2 * sent, `charged ${held} bytes for ${sent} sent`);
});

test('chunk reader: a message fed one byte per chunk arrives whole and exact', () => {
  const p = bytes(40_000, 7);
  const r = new ChunkReader(limits);
  const wire = [
    hex('02 000000 000004 01 00000000 00000001'),
    hex('03 000000 009c40 09 01000000'),
    p.subarray(0, 1),
  ];
  for (let i = 1; i < p.length; i++) wire.push(hex('c3'), p.subarray(i, i + 1));
  assert.deepEqual(r.push(Buffer.concat(wire)), [msg(3, 9, 1, 0, p)]);
  assert.equal(r.bufferedBytes, 2 * CHUNK_STREAM_COST);
});

test('chunk reader rejects: a new chunk stream that does not start with fmt 0', () => {
  assertCode(
    () => new ChunkReader(limits).push(hex('43 000000 000001 09 aa')),
    'RTMP_PROTOCOL',
    /starts with a fmt 1/,
  );
});

test('chunk writer -> reader round trip: compressed headers, extended timestamps, big csids', () => {
  const w = new ChunkWriter();
  const r = new ChunkReader(limits);
  const msgs: OutMessage[] = [
    { csid: 3, typeId: 20, streamId: 0, timestamp: 0, payload: bytes(300) },
    { csid: 6, typeId: 9, streamId: 1, timestamp: 40, payload: bytes(10) },
    { csid: 6, typeId: 9, streamId: 1, timestamp: 80, payload: bytes(20) }, // fmt 1
    { csid: 6, typeId: 9, streamId: 1, timestamp: 100, payload: bytes(20, 1) }, // fmt 2
    { csid: 6, typeId: 9, streamId: 1, timestamp: 120, payload: bytes(20, 2) }, // fmt 3
    { csid: 7, typeId: 8, streamId: 1, timestamp: 0x1234567, payload: bytes(400) }, // extended
    { csid: 7, typeId: 8, streamId: 1, timestamp: 0x2468ace, payload: bytes(400, 3) }, // extended fmt 3
    { csid: 300, typeId: 18, streamId: 1, timestamp: 5, payload: bytes(3) },
    { csid: 65599, typeId: 18, streamId: 1, timestamp: 6, payload: Buffer.alloc(0) },
  ];
  const wire = Buffer.concat(msgs.map((m) => w.write(m)));
  // fmt 1/2/3 headers were really used: a fmt-0-only encoding would be longer.
  const plain = new ChunkWriter();
  assert.ok(wire.length < Buffer.concat(msgs.map((m) => plain.write(m, false))).length);
  assert.deepEqual(r.push(wire), msgs);

  const sized = Buffer.concat([w.setChunkSize(4096), w.write({ ...msgs[0]!, payload: bytes(5000) })]);
  const got = r.push(sized);
  assert.equal(r.chunkSize, 4096);
  assert.equal(got.length, 1);
  assert.deepEqual(got[0]!.payload, bytes(5000));
});
