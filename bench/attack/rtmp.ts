/**
 * A minimal hostile RTMP client: just enough of the protocol to reach the states an attacker
 * wants (handshaken, connected, publishing) and then misbehave. Replies are matched as text in
 * the raw bytes rather than parsed, because the attacks only need "accepted", "refused" or "closed".
 */
import net from 'node:net';
import { encodeAmf0, type AmfValue } from '../../src/ingest/amf0.js';

export interface RtmpPeer {
  socket: net.Socket;
  /** Everything the server sent so far, latin1 (AMF strings are ASCII). */
  text(): string;
  closed(): boolean;
  closedAt: number | undefined;
}

/** TCP connect from `localAddress` (another 127.x address is another "client address"). */
export function connect(port: number, localAddress?: string): Promise<RtmpPeer | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress });
    const chunks: Buffer[] = [];
    let size = 0;
    const peer: RtmpPeer = {
      socket,
      text: () => Buffer.concat(chunks).toString('latin1'),
      closed: () => peer.closedAt !== undefined,
      closedAt: undefined,
    };
    socket.on('data', (d: Buffer) => {
      // Bounded: the attacks only look for short status strings near the start.
      if (size < 1 << 20) chunks.push(d);
      size += d.length;
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      peer.closedAt = Date.now();
      resolve(undefined);
    });
    socket.once('connect', () => resolve(peer));
  });
}

/** C0+C1, wait for S0+S1+S2, echo S1 as C2. False when the server closed or did not answer. */
export async function handshake(peer: RtmpPeer, timeoutMs = 5000): Promise<boolean> {
  peer.socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536)]));
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !peer.closed()) {
    const got = Buffer.from(peer.text(), 'latin1');
    if (got.length >= 3073) {
      peer.socket.write(got.subarray(1, 1537));
      return true;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

/** One whole message as a single type-0 chunk (we announce a 64 KiB chunk size first). */
export function message(csid: number, type: number, streamId: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(12);
  h[0] = csid;
  h.writeUIntBE(0, 1, 3);
  h.writeUIntBE(payload.length, 4, 3);
  h[7] = type;
  h.writeUInt32LE(streamId, 8);
  return Buffer.concat([h, payload]);
}

const cmd = (streamId: number, ...values: AmfValue[]) =>
  message(streamId === 0 ? 3 : 8, 20, streamId, encodeAmf0(...values));

export type PublishResult = 'accepted' | 'refused' | 'closed' | 'timeout';

/** connect + createStream + publish, sent back to back, and the server's verdict. */
export async function publish(
  peer: RtmpPeer,
  port: number,
  name: string,
  timeoutMs = 8000,
): Promise<PublishResult> {
  const chunkSize = Buffer.alloc(4);
  chunkSize.writeUInt32BE(65536);
  peer.socket.write(
    Buffer.concat([
      message(2, 1, 0, chunkSize),
      cmd(0, 'connect', 1, {
        app: 'live',
        type: 'nonprivate',
        flashVer: 'FMLE/3.0',
        tcUrl: `rtmp://127.0.0.1:${port}/live`,
      }),
      cmd(0, 'createStream', 2, null),
      cmd(1, 'publish', 3, null, name, 'live'),
    ]),
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const t = peer.text();
    if (t.includes('NetStream.Publish.Start')) return 'accepted';
    if (/NetStream\.Publish\.(BadName|Rejected|Denied)|_error/.test(t)) return 'refused';
    if (peer.closed()) return 'closed';
    await new Promise((r) => setTimeout(r, 20));
  }
  return 'timeout';
}

/** An AAC sequence header and one raw frame: media as far as the ingest's timers care. */
export function sendAudio(peer: RtmpPeer): void {
  peer.socket.write(
    Buffer.concat([
      message(4, 8, 1, Buffer.from([0xaf, 0x00, 0x12, 0x10])),
      message(4, 8, 1, Buffer.concat([Buffer.from([0xaf, 0x01]), Buffer.alloc(32)])),
    ]),
  );
}

/** A user-control ping response: control traffic that a frozen encoder keeps sending. */
export function sendPing(peer: RtmpPeer): void {
  const p = Buffer.alloc(6);
  p.writeUInt16BE(7, 0);
  p.writeUInt32BE(Date.now() >>> 0, 2);
  peer.socket.write(message(2, 4, 0, p));
}
