import { randomBytes } from 'node:crypto';
import { CorralError } from '../util/errors.js';
import { HANDSHAKE_SIZE, RTMP_VERSION } from './handshake.js';

/**
 * The client side of the plain RTMP handshake (RTMP 1.0 section 5.2), fed bytes like the server's.
 * C1 carries a zero version field so a digest-capable server answers with the plain scheme too.
 */
export class ClientHandshake {
  #pending: Buffer = Buffer.alloc(0);
  #done = false;

  get done(): boolean {
    return this.#done;
  }

  /** C0+C1: sent as soon as the connection is up. */
  start(): Buffer {
    const out = Buffer.allocUnsafe(1 + HANDSHAKE_SIZE);
    out[0] = RTMP_VERSION;
    out.fill(0, 1, 9);
    randomBytes(HANDSHAKE_SIZE - 8).copy(out, 9);
    return out;
  }

  /** Until S0+S1+S2 arrived: undefined. Then C2 (the echo of S1) and the bytes after S2. */
  feed(data: Buffer): { reply: Buffer; rest: Buffer } | undefined {
    if (this.#done) throw new CorralError('RTMP_HANDSHAKE', 'handshake already complete');
    // Bounded: at most S0+S1+S2 plus one read are ever held.
    this.#pending = this.#pending.length === 0 ? data : Buffer.concat([this.#pending, data]);
    if (this.#pending.length >= 1 && this.#pending[0] !== RTMP_VERSION) {
      throw new CorralError('RTMP_HANDSHAKE', `upstream answered version byte ${this.#pending[0]}, not 3`);
    }
    const need = 1 + 2 * HANDSHAKE_SIZE;
    if (this.#pending.length < need) return undefined;
    this.#done = true;
    const reply = Buffer.from(this.#pending.subarray(1, 1 + HANDSHAKE_SIZE));
    const rest = Buffer.from(this.#pending.subarray(need));
    this.#pending = Buffer.alloc(0);
    return { reply, rest };
  }
}
