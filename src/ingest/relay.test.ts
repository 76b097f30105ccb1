import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../util/logger.js';
import { CorralError } from '../util/errors.js';
import { Relay, retryDelayMs, type Upstream } from './relay.js';
import { MSG } from './protocol.js';
import type { VideoFrame } from '../media/types.js';

class FakeUpstream implements Upstream {
  readonly sent: string[] = [];
  backlog = 0;
  closed = false;
  #onClose: ((why: string) => void) | undefined;
  constructor(readonly url: string) {}
  media(typeId: number, timestamp: number, payload: Buffer): void {
    const kind = typeId === MSG.dataAmf0 ? 'meta' : typeId === MSG.audio ? 'a' : 'v';
    // Sequence headers carry packet type 0 in their second byte.
    const hdr = typeId !== MSG.dataAmf0 && payload[1] === 0 ? 'hdr' : '';
    this.sent.push(`${kind}${hdr}@${timestamp}`);
  }
  onClose(cb: (why: string) => void): void {
    this.#onClose = cb;
  }
  close(): void {
    this.closed = true;
  }
  die(): void {
    this.#onClose?.('killed');
  }
}

/** Upstreams by URL: `down` ones refuse, the others hand out a new FakeUpstream per connect. */
function world() {
  const down = new Set<string>();
  const made: FakeUpstream[] = [];
  const connect = (url: string) => {
    if (down.has(url)) return Promise.reject(new CorralError('UPSTREAM_FAILED', `${url} down`));
    const u = new FakeUpstream(url);
    made.push(u);
    return Promise.resolve(u);
  };
  return { down, made, connect };
}

const key = (dts: number): VideoFrame => ({
  type: 'video',
  dts,
  cts: 0,
  keyframe: true,
  data: Buffer.from([1]),
});
const inter = (dts: number): VideoFrame => ({
  type: 'video',
  dts,
  cts: 0,
  keyframe: false,
  data: Buffer.from([2]),
});
const avc = { codec: 'h264' as const, avcC: Buffer.from([1, 2, 3]) };
const aac = { codec: 'aac' as const, asc: Buffer.from([0x11, 0x90]) };
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

function relay(w: ReturnType<typeof world>, extra: { maxQueueBytes?: number; primaryRetryMs?: number } = {}) {
  return new Relay({
    urls: ['rtmp://primary', 'rtmp://backup'],
    connect: w.connect,
    maxQueueBytes: extra.maxQueueBytes ?? 1000,
    primaryRetryMs: extra.primaryRetryMs ?? 60_000,
    logger: silentLogger(),
  });
}

test('relay: back-off is immediate, then 250 ms doubling to 2 s', () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 9].map(retryDelayMs), [0, 250, 500, 1000, 2000, 2000, 2000]);
});

test('relay: starts on the primary, forwards unchanged from the first keyframe', async () => {
  const w = world();
  const r = relay(w);
  await r.start();
  assert.equal(r.upstreamUrl, 'rtmp://primary');
  r.metadata(['onMetaData', { width: 2 }]);
  r.videoConfig(avc);
  r.audioConfig(aac);
  r.frame({ type: 'audio', dts: 5, data: Buffer.from([9]) });
  r.frame(inter(10));
  r.frame(key(40));
  r.frame({ type: 'audio', dts: 41, data: Buffer.from([9]) });
  r.frame(inter(80));
  assert.deepEqual(w.made[0]!.sent, ['meta@0', 'vhdr@0', 'ahdr@0', 'v@40', 'a@41', 'v@80']);
  assert.equal(r.dropped, 2);
  r.end('unpublish');
  assert.equal(w.made[0]!.closed, true);
});

test('relay: the primary refusing at start means the backup; both refusing refuses the publish', async () => {
  const w = world();
  w.down.add('rtmp://primary');
  const r = relay(w);
  await r.start();
  assert.equal(r.upstreamUrl, 'rtmp://backup');
  r.end('unpublish');
  w.down.add('rtmp://backup');
  await assert.rejects(relay(w).start(), (e) => e instanceof CorralError && e.code === 'UPSTREAM_FAILED');
});

test('relay: a lost primary fails over to the backup at once and replays the headers; later back to the primary', async () => {
  const w = world();
  const r = relay(w, { primaryRetryMs: 300 });
  await r.start();
  r.metadata(['onMetaData', {}]);
  r.videoConfig(avc);
  r.frame(key(0));
  w.down.add('rtmp://primary');
  w.made[0]!.die();
  r.frame(inter(33)); // no upstream for this one
  await wait(20);
  assert.equal(r.upstreamUrl, 'rtmp://backup');
  r.frame(inter(66)); // the backup has had no keyframe yet
  r.frame(key(100));
  assert.deepEqual(w.made[1]!.sent, ['meta@33', 'vhdr@33', 'v@100']);
  w.down.delete('rtmp://primary');
  await wait(500);
  assert.equal(r.upstreamUrl, 'rtmp://primary');
  assert.equal(w.made[1]!.closed, true);
  assert.deepEqual(
    r.switches.map((s) => s.url),
    ['rtmp://backup', 'rtmp://primary'],
  );
  r.end('disconnect');
});

test('relay: with every upstream down it keeps retrying with back-off and resumes when one returns', async () => {
  const w = world();
  const r = relay(w);
  await r.start();
  w.down.add('rtmp://primary');
  w.down.add('rtmp://backup');
  w.made[0]!.die();
  await wait(400); // rounds at 0 and 250 ms fail
  assert.equal(r.upstreamUrl, undefined);
  w.down.delete('rtmp://primary');
  await wait(700); // the 500 ms round finds it
  assert.equal(r.upstreamUrl, 'rtmp://primary');
  r.end('unpublish');
  w.down.delete('rtmp://backup');
  w.made.at(-1)!.die();
  await wait(20);
  assert.equal(w.made.length, 2, 'an ended relay never reconnects');
});

test('relay: a slow upstream costs non-key video first, then everything, and recovers at a keyframe', async () => {
  const w = world();
  const r = relay(w, { maxQueueBytes: 1000 });
  await r.start();
  const up = w.made[0]!;
  r.frame(key(0));
  up.backlog = 1500; // past the limit: inter frames wait for the next keyframe, audio still goes
  r.frame(inter(33));
  r.frame({ type: 'audio', dts: 34, data: Buffer.from([9]) });
  up.backlog = 2500; // past twice the limit: audio and even keyframes are dropped
  r.frame({ type: 'audio', dts: 35, data: Buffer.from([9]) });
  r.frame(key(66));
  up.backlog = 0;
  r.frame(inter(99)); // still waiting for a keyframe
  r.frame(key(133));
  r.frame(inter(166));
  assert.deepEqual(up.sent, ['v@0', 'a@34', 'v@133', 'v@166']);
  assert.equal(r.dropped, 4);
  r.end('unpublish');
});
