import type { Logger } from '../util/logger.js';
import type { IngestLimits } from '../config/schema.js';
import { CorralError, describeError, isCorralError, type ErrorCode } from '../util/errors.js';
import { decodeAmf0 } from './amf0.js';
import { ServerHandshake } from './handshake.js';
import { ChunkReader, type RtmpMessage } from './chunk-reader.js';
import { ControlMessages } from './control.js';
import { MediaIn } from './media.js';
import { PublishFlow, type PublishFlowOptions, type PublishHooks } from './publish-flow.js';
import { Replies } from './replies.js';
import { MSG } from './protocol.js';

/**
 * One RTMP connection's protocol state: handshake, chunk stream, commands and media. It does no
 * socket I/O itself; the server feeds it bytes and gives it these hooks, so it can be driven by
 * tests and by both the TCP and the TLS listener alike.
 */
export interface SessionHooks extends PublishHooks {
  send(data: Buffer): void;
  /** Close the connection; `graceful` lets queued replies (an onStatus error) reach the peer first. */
  close(graceful: boolean): void;
  /** Stop and restart reading from the socket while the PublishTarget decides. */
  pause(): void;
  resume(): void;
  handshakeDone(): void;
  failed(info: { code: ErrorCode; message: string }): void;
}

/** Heap cost of one queued message beyond its payload (message object, Buffer object), measured ~370 B. */
const QUEUED_MESSAGE_COST = 384;

export interface SessionOptions extends PublishFlowOptions {
  limits: IngestLimits;
  logger: Logger;
  /** The peer's IP address alone (IPv4-mapped IPv6 written as IPv4), for takeover decisions. */
  address: string;
  hooks: SessionHooks;
}

/**
 * The session routes messages by job: control messages (control.ts), commands and the publish
 * (publish-flow.ts), media (media.ts); it owns the byte input, the queue held while a publish is
 * decided, and the connection's end.
 */
export class RtmpSession {
  readonly #o: SessionOptions;
  readonly #log: Logger;
  readonly #handshake = new ServerHandshake();
  readonly #reader: ChunkReader;
  readonly #control: ControlMessages;
  readonly #publish: PublishFlow;
  readonly #media: MediaIn;
  #closed = false;
  /** Messages that arrived while the PublishTarget was deciding; replayed in order after. */
  #queue: RtmpMessage[] = [];
  #queuedBytes = 0;
  #blocked = false;

  constructor(opts: SessionOptions) {
    this.#o = opts;
    this.#log = opts.logger;
    this.#reader = new ChunkReader(opts.limits);
    const replies = new Replies((data) => opts.hooks.send(data));
    this.#control = new ControlMessages(replies);
    this.#publish = new PublishFlow(
      opts,
      {
        isClosed: () => this.#closed,
        hold: () => this.#hold(),
        release: () => this.#release(),
        shut: (graceful) => this.#shut(graceful),
        fail: (e) => this.fail(e),
      },
      replies,
      this.#log,
    );
    this.#media = new MediaIn(
      {
        isClosed: () => this.#closed,
        publishing: () => this.#publish.current,
        refuseCodec: (e) => this.#publish.refuseCodec(e),
      },
      this.#log,
    );
  }

  get publishing(): { app: string; name: string } | undefined {
    const p = this.#publish.current;
    return p && { app: p.app, name: p.name };
  }

  get remote(): string {
    return this.#o.remote;
  }

  get address(): string {
    return this.#o.address;
  }

  /** performance.now() of this publish's Publish.Start; undefined when not publishing. */
  get publishStartedAt(): number | undefined {
    return this.#publish.current?.startedAt;
  }

  /** performance.now() of the last audio or video delivered in this publish; undefined before any. */
  get lastMediaAt(): number | undefined {
    return this.#publish.current?.lastMediaAt;
  }

  /**
   * Milliseconds since this publish last delivered media (or started, before any), as seen at
   * `now` (performance.now()); undefined when not publishing yet.
   */
  quietFor(now: number): number | undefined {
    const p = this.#publish.current;
    return p && now - (p.lastMediaAt ?? p.startedAt);
  }

  /** Bytes held on behalf of this connection (partial handshake and messages, the replay queue). */
  get bufferedBytes(): number {
    return this.#handshake.bufferedBytes + this.#reader.bufferedBytes + this.#queuedBytes;
  }

  feed(data: Buffer): void {
    if (this.#closed) return;
    try {
      if (!this.#handshake.done) {
        const r = this.#handshake.feed(data);
        if (r.reply) this.#o.hooks.send(r.reply);
        if (!r.done) return;
        this.#log.debug('handshake complete');
        this.#o.hooks.handshakeDone();
        data = r.rest;
        if (data.length === 0) return;
      }
      const msgs = this.#reader.push(data);
      this.#control.received(this.#reader.bytesReceived);
      this.#dispatch(msgs);
    } catch (e) {
      this.fail(e);
    }
  }

  /** The socket is gone (or the server is closing): end the sink if the peer never unpublished. */
  closed(): void {
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#publish.end('disconnect');
  }

  /** Log, report and close for any error raised while handling this connection's input. */
  fail(e: unknown): void {
    if (this.#closed) return;
    const code: ErrorCode = isCorralError(e) ? e.code : 'RTMP_PROTOCOL';
    const message = describeError(e);
    this.#log.warn({ code, err: message }, 'closing RTMP connection: %s', message);
    this.#o.hooks.failed({ code, message });
    this.#publish.end('error');
    this.#shut(false);
  }

  /**
   * A newer publish of the same name won: end this one now (its sink first, so the target can
   * take the new one) and close the connection, telling the peer why.
   */
  takeOver(reason: string): void {
    if (this.#closed) return;
    this.#publish.takenOver(reason);
    this.#shut(true);
  }

  #shut(graceful: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.hooks.close(graceful);
  }

  #hold(): void {
    this.#blocked = true;
    this.#o.hooks.pause();
  }

  #release(): void {
    this.#blocked = false;
    this.#o.hooks.resume();
    const queued = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#dispatch(queued);
  }

  #dispatch(msgs: RtmpMessage[]): void {
    for (const m of msgs) {
      if (this.#closed) return;
      if (this.#blocked) this.#enqueue(m);
      else this.#handle(m);
    }
  }

  #enqueue(m: RtmpMessage): void {
    this.#queue.push(m);
    // An empty message still costs its object and Buffer: charge that, or zero-length messages
    // would queue for free.
    this.#queuedBytes += m.payload.length + QUEUED_MESSAGE_COST;
    if (this.bufferedBytes > this.#o.limits.maxBufferedBytes) {
      throw new CorralError('RTMP_LIMIT', `more than ${this.#o.limits.maxBufferedBytes} bytes queued`);
    }
  }

  #handle(m: RtmpMessage): void {
    if (this.#control.handle(m)) return;
    switch (m.typeId) {
      case MSG.commandAmf0:
        return this.#publish.command(m.streamId, decodeAmf0(m.payload));
      case MSG.commandAmf3:
        // An AMF3 command message starts with a format byte, then the values in AMF0.
        return this.#publish.command(m.streamId, decodeAmf0(m.payload.subarray(1)));
      case MSG.dataAmf0:
        return this.#media.data(decodeAmf0(m.payload));
      case MSG.dataAmf3:
        return this.#media.data(decodeAmf0(m.payload.subarray(1)));
      case MSG.audio:
      case MSG.video:
      case MSG.aggregate:
        return this.#media.media(m);
      default:
        this.#log.debug({ typeId: m.typeId }, 'ignoring RTMP message type %d', m.typeId);
    }
  }
}
