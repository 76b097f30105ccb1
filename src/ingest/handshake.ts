import { randomBytes } from 'node:crypto';
import { CorralError } from '../util/errors.js';

/**
 * The server side of the RTMP handshake (RTMP 1.0 section 5.2), as a state machine fed bytes.
 *
 * We always answer with the plain handshake: S1 carries a zero "version" field, which tells
 * digest-capable clients (ffmpeg, OBS/librtmp, Flash) that the server does not do the digest
 * scheme, so they accept S2 = echo of C1 without validating an HMAC.
 */

export const RTMP_VERSION = 3;
export const HANDSHAKE_SIZE = 1536;

export type HandshakeResult =
  /** Not enough bytes yet. `reply` (S0+S1+S2) is set once, as soon as C0+C1 arrived. */
  | { done: false; reply?: Buffer }
  /** C2 arrived: `rest` holds any bytes after it (the first chunks). */
  | { done: true; reply?: Buffer; rest: Buffer };

export class ServerHandshake {
  #state: 'c0c1' | 'c2' | 'done' = 'c0c1';
  #pending: Buffer = Buffer.alloc(0);
  /** Milliseconds since the handshake began, as RTMP wants in S1's time field. */
  readonly #epoch = Date.now();

  get done(): boolean {
    return this.#state === 'done';
  }

  /** Bytes of C0/C1/C2 held until the rest of them arrives. */
  get bufferedBytes(): number {
    return this.#pending.length;
  }

  feed(data: Buffer): HandshakeResult {
    if (this.#state === 'done') throw new CorralError('RTMP_HANDSHAKE', 'handshake already complete');
    // At most 1 + 2*1536 bytes are ever held here, so this concat is bounded. A copy either way:
    // `data` may be a shared read buffer that is reused once this call returns.
    this.#pending = Buffer.concat([this.#pending, data]);
    let reply: Buffer | undefined;

    if (this.#state === 'c0c1') {
      if (this.#pending.length < 1) return { done: false };
      const version = this.#pending[0]!;
      if (version !== RTMP_VERSION) {
        // 6 is RTMPE (encrypted), anything else is not RTMP at all (an HTTP request, a TLS hello...).
        throw new CorralError(
          'RTMP_HANDSHAKE',
          `unsupported RTMP version byte 0x${version.toString(16).padStart(2, '0')} (expected 3)`,
        );
      }
      if (this.#pending.length < 1 + HANDSHAKE_SIZE) return { done: false };
      const c1 = this.#pending.subarray(1, 1 + HANDSHAKE_SIZE);
      reply = this.#reply(c1);
      this.#pending = this.#pending.subarray(1 + HANDSHAKE_SIZE);
      this.#state = 'c2';
    }

    if (this.#pending.length < HANDSHAKE_SIZE) return reply ? { done: false, reply } : { done: false };
    // C2 should echo S1, but clients differ in what they put there; nothing in it is worth checking.
    const rest = Buffer.from(this.#pending.subarray(HANDSHAKE_SIZE));
    this.#pending = Buffer.alloc(0);
    this.#state = 'done';
    return reply ? { done: true, reply, rest } : { done: true, rest };
  }

  #reply(c1: Buffer): Buffer {
    const out = Buffer.allocUnsafe(1 + 2 * HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    const s1 = out.subarray(1, 1 + HANDSHAKE_SIZE);
    s1.writeUInt32BE((Date.now() - this.#epoch) >>> 0, 0);
    s1.writeUInt32BE(0, 4);
    randomBytes(HANDSHAKE_SIZE - 8).copy(s1, 8);
    // S2 echoes C1 (time and random data): what plain and digest clients alike accept.
    c1.copy(out, 1 + HANDSHAKE_SIZE);
    return out;
  }
}
