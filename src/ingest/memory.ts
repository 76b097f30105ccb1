import type net from 'node:net';
import { CorralError } from '../util/errors.js';

/**
 * What a connection costs beyond the bytes the session counts, measured on Node 20 / OpenSSL 3:
 * the TLS state of a connection (~52-58 KB mid-handshake, ~45 KB once established), and one
 * write queued on a socket whose peer does not read (~180 B of heap besides its bytes).
 */
export const TLS_CONNECTION_COST = 56 << 10;
export const QUEUED_WRITE_COST = 192;
/** The most one socket read delivers (libuv's read buffer); TLS decrypts at most that per read. */
const READ_SIZE = 64 << 10;

/** The memory all connections together hold, which maxTotalBufferedBytes bounds. */
export class MemoryBudget {
  #held = 0;

  get held(): number {
    return this.#held;
  }

  charge(delta: number): void {
    this.#held += delta;
  }
}

export interface ConnectionMemoryOptions {
  socket: net.Socket;
  budget: MemoryBudget;
  limits: { maxBufferedBytes: number; maxTotalBufferedBytes: number };
  /** What the session holds: partial handshake and messages, the replay queue. */
  sessionBytes(): number;
  /** Close the connection for holding too much (the session's fail). */
  fail(e: CorralError): void;
}

/**
 * One connection's charge against its own bound (maxBufferedBytes) and the budget: the session's
 * input state, input the socket read ahead while paused (bounded by its high-water mark), and
 * output the peer has not taken yet. Output counts a cost per queued write as well as its bytes,
 * since a peer that never reads turns every small reply (a ping response) into a queued Buffer
 * whose bookkeeping outweighs its bytes several times over.
 */
export class ConnectionMemory {
  readonly #o: ConnectionMemoryOptions;
  readonly #written: () => void;
  #queuedWrites = 0;
  #charged = 0;
  #released = false;
  #checking = false;
  #paused = false;

  constructor(opts: ConnectionMemoryOptions) {
    this.#o = opts;
    this.#written = () => {
      this.#queuedWrites--;
      this.#settle();
    };
  }

  get heldBytes(): number {
    const s = this.#o.socket;
    // A paused socket goes on reading until its buffer passes the high-water mark, with no event
    // to measure it by: charge the most that can be.
    const readAhead = this.#paused ? s.readableHighWaterMark + READ_SIZE : s.readableLength;
    return this.#o.sessionBytes() + readAhead + s.writableLength + this.#queuedWrites * QUEUED_WRITE_COST;
  }

  /** Stop reading while a publish is decided (plain and TLS sockets alike stop at the mark). */
  pause(): void {
    this.#paused = true;
    this.#o.socket.pause();
    this.#checkSoon();
  }

  resume(): void {
    this.#paused = false;
    this.#o.socket.resume();
    this.#settle();
  }

  write(data: Buffer): void {
    if (this.#o.socket.destroyed) return;
    this.#queuedWrites++;
    this.#o.socket.write(data, this.#written);
    this.#checkSoon();
  }

  /**
   * Writes and pauses come from inside the session (and from promise callbacks, when a publish is
   * decided): checking once after the current job keeps a failure from closing it mid-step.
   */
  #checkSoon(): void {
    if (this.#checking) return;
    this.#checking = true;
    queueMicrotask(() => {
      this.#checking = false;
      this.check();
    });
  }

  /** Charge what is held now, and close the connection if it or all of them hold too much. */
  check(): void {
    const { limits, budget } = this.#o;
    if (this.#settle() > limits.maxBufferedBytes) {
      this.#o.fail(new CorralError('RTMP_LIMIT', `more than ${limits.maxBufferedBytes} bytes buffered`));
    } else if (budget.held > limits.maxTotalBufferedBytes) {
      this.#o.fail(
        new CorralError(
          'RTMP_LIMIT',
          `all connections together hold more than ${limits.maxTotalBufferedBytes} bytes`,
        ),
      );
    }
  }

  /** The connection is gone: give its whole charge back, and take no more. */
  release(): void {
    this.#o.budget.charge(-this.#charged);
    this.#charged = 0;
    this.#released = true;
  }

  #settle(): number {
    if (this.#released) return 0;
    const now = this.heldBytes;
    this.#o.budget.charge(now - this.#charged);
    this.#charged = now;
    return now;
  }
}
