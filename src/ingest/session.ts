import type { Logger } from '../util/logger.js';
import type { IngestLimits } from '../config/schema.js';
import type { StreamSink } from '../media/types.js';
import { CorralError, describeError, isCorralError, type ErrorCode } from '../util/errors.js';
import type { PublishTarget } from './types.js';
import type { PublishAuthorizer } from './auth.js';
import { amfProps, decodeAmf0, encodeAmf0, type AmfValue } from './amf0.js';
import { ServerHandshake } from './handshake.js';
import { ChunkReader, type RtmpMessage } from './chunk-reader.js';
import { ChunkWriter } from './chunk-writer.js';
import { parseAudioTag, parseVideoTag, splitAggregate } from '../media/flv-tags.js';
import * as cmd from './commands.js';
import { CSID, MSG, OUT_CHUNK_SIZE, PEER_BANDWIDTH, USER_CONTROL, WINDOW_ACK_SIZE } from './protocol.js';

/**
 * One RTMP connection's protocol state: handshake, chunk stream, commands and media. It does no
 * socket I/O itself; the server feeds it bytes and gives it these hooks, so it can be driven by
 * tests and by both the TCP and the TLS listener alike.
 */
export interface SessionHooks {
  send(data: Buffer): void;
  /** Close the connection; `graceful` lets queued replies (an onStatus error) reach the peer first. */
  close(graceful: boolean): void;
  /** Stop and restart reading from the socket while the PublishTarget decides. */
  pause(): void;
  resume(): void;
  handshakeDone(): void;
  /**
   * Authorised to publish app/name: make this session its owner. Throws a CorralError
   * (STREAM_BUSY) to refuse, or ends the current owner's session first (takeover).
   */
  claim(info: { app: string; name: string; keyed: boolean }): void;
  published(info: { app: string; name: string }): void;
  unpublished(info: { app: string; name: string; reason: EndReason }): void;
  rejected(info: { code: ErrorCode; reason: string }): void;
  failed(info: { code: ErrorCode; message: string }): void;
}

/** Heap cost of one queued message beyond its payload (message object, Buffer object), measured ~370 B. */
const QUEUED_MESSAGE_COST = 384;

/** 'takeover': a newer publish of the same name replaced this one. */
export type EndReason = 'unpublish' | 'disconnect' | 'error' | 'takeover';

export interface SessionOptions {
  target: PublishTarget;
  auth: PublishAuthorizer;
  limits: IngestLimits;
  apps: readonly string[];
  logger: Logger;
  /** "ip:port" of the peer. */
  remote: string;
  /** The peer's IP address alone (IPv4-mapped IPv6 written as IPv4), for takeover decisions. */
  address: string;
  secure: boolean;
  hooks: SessionHooks;
}

interface Publishing {
  app: string;
  name: string;
  sink: StreamSink;
  streamId: number;
  /** performance.now() of Publish.Start, and of the last audio or video handed to the sink. */
  startedAt: number;
  lastMediaAt: number | undefined;
}

export class RtmpSession {
  readonly #o: SessionOptions;
  readonly #log: Logger;
  readonly #handshake = new ServerHandshake();
  readonly #reader: ChunkReader;
  readonly #writer = new ChunkWriter();
  #closed = false;
  #connect: { app: string; query: URLSearchParams } | undefined;
  #nextStreamId = 1;
  #peerWindow = 0;
  #lastAck = 0;
  /** Messages that arrived while the PublishTarget was deciding; replayed in order after. */
  #queue: RtmpMessage[] = [];
  #queuedBytes = 0;
  #blocked = false;
  #publishing: Publishing | undefined;

  constructor(opts: SessionOptions) {
    this.#o = opts;
    this.#log = opts.logger;
    this.#reader = new ChunkReader(opts.limits);
  }

  get publishing(): { app: string; name: string } | undefined {
    return this.#publishing && { app: this.#publishing.app, name: this.#publishing.name };
  }

  get remote(): string {
    return this.#o.remote;
  }

  get address(): string {
    return this.#o.address;
  }

  /** performance.now() of this publish's Publish.Start; undefined when not publishing. */
  get publishStartedAt(): number | undefined {
    return this.#publishing?.startedAt;
  }

  /** performance.now() of the last audio or video delivered in this publish; undefined before any. */
  get lastMediaAt(): number | undefined {
    return this.#publishing?.lastMediaAt;
  }

  /**
   * Milliseconds since this publish last delivered media (or started, before any), as seen at
   * `now` (performance.now()); undefined when not publishing yet.
   */
  quietFor(now: number): number | undefined {
    const p = this.#publishing;
    return p && now - (p.lastMediaAt ?? p.startedAt);
  }

  /** Bytes held on behalf of this connection (partial messages and the replay queue). */
  get bufferedBytes(): number {
    return this.#reader.bufferedBytes + this.#queuedBytes;
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
      this.#maybeAck();
      for (const m of msgs) {
        if (this.#closed) return;
        if (this.#blocked) this.#enqueue(m);
        else this.#handle(m);
      }
    } catch (e) {
      this.fail(e);
    }
  }

  /** The socket is gone (or the server is closing): end the sink if the peer never unpublished. */
  closed(): void {
    this.#closed = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#endSink('disconnect');
  }

  /** Log, report and close for any error raised while handling this connection's input. */
  fail(e: unknown): void {
    if (this.#closed) return;
    const code: ErrorCode = isCorralError(e) ? e.code : 'RTMP_PROTOCOL';
    const message = describeError(e);
    this.#log.warn({ code, err: message }, 'closing RTMP connection: %s', message);
    this.#o.hooks.failed({ code, message });
    this.#endSink('error');
    this.#shut(false);
  }

  /**
   * A newer publish of the same name won: end this one now (its sink first, so the target can
   * take the new one) and close the connection, telling the peer why.
   */
  takeOver(reason: string): void {
    if (this.#closed) return;
    const pub = this.#publishing;
    this.#log.warn({ reason }, 'publish taken over: %s', reason);
    if (pub) {
      this.#sendCommand(
        pub.streamId,
        cmd.onStatus(
          'error',
          'NetStream.Publish.Rejected',
          `another publisher took over ${pub.app}/${pub.name}`,
        ),
        CSID.status,
      );
    }
    this.#endSink('takeover');
    this.#shut(true);
  }

  #shut(graceful: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#o.hooks.close(graceful);
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

  #maybeAck(): void {
    const received = this.#reader.bytesReceived;
    if (this.#peerWindow > 0 && received - this.#lastAck >= this.#peerWindow) {
      this.#lastAck = received;
      this.#o.hooks.send(this.#writer.ack(received));
    }
  }

  #sendCommand(streamId: number, values: AmfValue[], csid: number = CSID.command): void {
    const payload = encodeAmf0(...values);
    this.#o.hooks.send(
      this.#writer.write({ csid, typeId: MSG.commandAmf0, streamId, timestamp: 0, payload }),
    );
  }

  #handle(m: RtmpMessage): void {
    switch (m.typeId) {
      case MSG.ack:
      case MSG.setPeerBandwidth:
        return;
      case MSG.windowAckSize:
        if (m.payload.length < 4) throw new CorralError('RTMP_PROTOCOL', 'Window Ack Size message too short');
        this.#peerWindow = m.payload.readUInt32BE(0);
        return;
      case MSG.userControl:
        return this.#userControl(m.payload);
      case MSG.commandAmf0:
        return this.#command(m, decodeAmf0(m.payload));
      case MSG.commandAmf3:
        // An AMF3 command message starts with a format byte, then the values in AMF0.
        return this.#command(m, decodeAmf0(m.payload.subarray(1)));
      case MSG.dataAmf0:
        return this.#data(decodeAmf0(m.payload));
      case MSG.dataAmf3:
        return this.#data(decodeAmf0(m.payload.subarray(1)));
      case MSG.audio:
      case MSG.video:
        return this.#media(m.typeId, m.payload, m.timestamp);
      case MSG.aggregate:
        for (const p of splitAggregate(m.payload, m.timestamp)) {
          if (p.typeId === MSG.audio || p.typeId === MSG.video) this.#media(p.typeId, p.body, p.timestamp);
          if (this.#closed) return;
        }
        return;
      default:
        this.#log.debug({ typeId: m.typeId }, 'ignoring RTMP message type %d', m.typeId);
    }
  }

  #userControl(p: Buffer): void {
    if (p.length < 2) throw new CorralError('RTMP_PROTOCOL', 'User Control message too short');
    const event = p.readUInt16BE(0);
    if (event === USER_CONTROL.pingRequest && p.length >= 6) {
      this.#o.hooks.send(this.#writer.userControl(USER_CONTROL.pingResponse, p.readUInt32BE(2)));
    }
  }

  #command(m: RtmpMessage, values: AmfValue[]): void {
    const c = cmd.parseCommand(values);
    if (!c) throw new CorralError('RTMP_PROTOCOL', 'command message without a command name');
    this.#log.debug({ command: c.name, txid: c.txid }, 'RTMP command %s', c.name);
    switch (c.name) {
      case 'connect':
        return this.#onConnect(c);
      case 'releaseStream':
        if (c.txid > 0) this.#sendCommand(0, cmd.result(c.txid, undefined));
        return;
      case 'FCPublish':
        if (c.txid > 0) this.#sendCommand(0, cmd.result(c.txid, undefined));
        this.#sendCommand(0, cmd.onFCPublish(typeof c.args[0] === 'string' ? c.args[0] : ''));
        return;
      case 'createStream':
        this.#sendCommand(0, cmd.result(c.txid, this.#nextStreamId++));
        return;
      case 'publish':
        return this.#onPublish(m.streamId, c);
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        this.#endSink('unpublish');
        return;
      case 'play':
      case 'play2':
        this.#sendCommand(
          m.streamId,
          cmd.onStatus('error', 'NetStream.Play.Failed', 'this server is ingest only'),
          CSID.status,
        );
        return;
      case '_result':
      case '_error':
      case 'onBWDone':
      case '_checkbw':
        return;
      default:
        this.#log.debug({ command: c.name }, 'unknown RTMP command %s', c.name);
        if (c.txid > 0) this.#sendCommand(m.streamId, cmd.callError(c.txid, `unknown command ${c.name}`));
    }
  }

  #onConnect(c: cmd.Command): void {
    if (this.#connect) throw new CorralError('RTMP_PROTOCOL', 'connect sent twice');
    const rawApp = c.object?.app;
    const { app, query } = cmd.parseApp(typeof rawApp === 'string' ? rawApp : '');
    this.#connect = { app, query: cmd.mergeQuery(query, cmd.tcUrlQuery(c.object?.tcUrl)) };
    this.#log.info({ app, flashVer: c.object?.flashVer }, 'RTMP connect to app "%s"', app);
    const w = this.#writer;
    this.#o.hooks.send(
      Buffer.concat([
        w.windowAckSize(WINDOW_ACK_SIZE),
        w.setPeerBandwidth(PEER_BANDWIDTH),
        w.setChunkSize(OUT_CHUNK_SIZE),
      ]),
    );
    this.#sendCommand(0, cmd.connectResult(c.txid));
  }

  #onPublish(streamId: number, c: cmd.Command): void {
    if (this.#publishing) {
      this.#sendCommand(
        streamId,
        cmd.onStatus('error', 'NetStream.Publish.BadConnection', 'this connection is already publishing'),
        CSID.status,
      );
      return;
    }
    const raw = typeof c.args[0] === 'string' ? c.args[0] : '';
    const { name, query } = cmd.parseStreamName(raw);
    const app = this.#connect?.app ?? '';
    try {
      if (!this.#connect) throw new CorralError('RTMP_PROTOCOL', 'publish before connect');
      if (!this.#o.apps.includes(app)) {
        throw new CorralError('PUBLISH_DENIED', `application "${app}" does not accept publishing`);
      }
      if (!cmd.STREAM_NAME.test(name)) {
        throw new CorralError('STREAM_NAME_INVALID', `stream name "${name.slice(0, 140)}" is not valid`);
      }
    } catch (e) {
      return this.#refusePublish(streamId, e);
    }
    const req = {
      app,
      name,
      query: cmd.mergeQuery(this.#connect!.query, query),
      remote: this.#o.remote,
      secure: this.#o.secure,
    };
    this.#blocked = true;
    this.#o.hooks.pause();
    Promise.resolve()
      .then(() => this.#o.auth.authorize(req))
      .then(({ keyed }) => {
        // The peer may have left while the callback was asked: claim nothing for nobody.
        if (this.#closed) return undefined;
        this.#o.hooks.claim({ app, name, keyed });
        return this.#o.target.open(req);
      })
      .then(
        (sink) => sink && this.#opened(streamId, app, name, sink),
        (e: unknown) => {
          if (!this.#closed) this.#refusePublish(streamId, e);
        },
      )
      .catch((e: unknown) => this.fail(e));
  }

  #opened(streamId: number, app: string, name: string, sink: StreamSink): void {
    if (this.#closed) {
      // The broadcaster left while we were deciding: the sink was opened for nobody.
      sink.end('disconnect');
      return;
    }
    this.#publishing = { app, name, sink, streamId, startedAt: performance.now(), lastMediaAt: undefined };
    this.#o.hooks.send(this.#writer.streamBegin(streamId));
    this.#sendCommand(
      streamId,
      cmd.onStatus('status', 'NetStream.Publish.Start', `${name} is now published`),
      CSID.status,
    );
    this.#log.info({ app, name }, 'publishing %s/%s', app, name);
    this.#o.hooks.published({ app, name });
    this.#blocked = false;
    this.#o.hooks.resume();
    const queued = this.#queue;
    this.#queue = [];
    this.#queuedBytes = 0;
    for (const m of queued) {
      if (this.#closed) return;
      if (this.#blocked) this.#enqueue(m);
      else this.#handle(m);
    }
  }

  #refusePublish(streamId: number, e: unknown): void {
    const code: ErrorCode = isCorralError(e) ? e.code : 'PUBLISH_DENIED';
    const reason = isCorralError(e) ? e.message : 'publish refused';
    if (!isCorralError(e)) this.#log.error({ err: describeError(e) }, 'PublishTarget.open failed');
    const status =
      code === 'STREAM_BUSY' || code === 'STREAM_NAME_INVALID'
        ? 'NetStream.Publish.BadName'
        : code === 'PUBLISH_UNAUTHORIZED'
          ? 'NetStream.Publish.Unauthorized'
          : 'NetStream.Publish.Rejected';
    this.#log.warn({ code, reason }, 'publish refused: %s', reason);
    this.#sendCommand(streamId, cmd.onStatus('error', status, reason), CSID.status);
    this.#o.hooks.rejected({ code, reason });
    this.#shut(true);
  }

  #data(values: AmfValue[]): void {
    // "@setDataFrame" wraps the real handler name (ffmpeg, OBS); bare "onMetaData" is older style.
    const args = values[0] === '@setDataFrame' ? values.slice(1) : values;
    if (args[0] !== 'onMetaData') return;
    const meta = amfProps(args[1] ?? null);
    if (!meta) return;
    const pick = (k: string) =>
      typeof meta[k] === 'number' || typeof meta[k] === 'string' ? meta[k] : undefined;
    this.#log.info(
      {
        width: pick('width'),
        height: pick('height'),
        framerate: pick('framerate'),
        encoder: pick('encoder'),
      },
      'stream metadata',
    );
  }

  #media(typeId: number, body: Buffer, timestamp: number): void {
    const pub = this.#publishing;
    if (!pub) {
      this.#log.debug({ typeId }, 'media before publish ignored');
      return;
    }
    try {
      const tag = typeId === MSG.video ? parseVideoTag(body, timestamp) : parseAudioTag(body, timestamp);
      if (tag.kind === 'ignore') return;
      if (tag.kind === 'frame') pub.sink.frame(tag.frame);
      else if (tag.config.codec === 'h264') pub.sink.videoConfig(tag.config);
      else pub.sink.audioConfig(tag.config);
      // Only what reaches the sink counts as progress for the media timeout: an ignorable tag
      // (an empty one, a command frame) would otherwise keep a frozen publish alive.
      pub.lastMediaAt = performance.now();
    } catch (e) {
      if (!isCorralError(e, 'CODEC_UNSUPPORTED')) throw e;
      this.#log.warn({ code: e.code, reason: e.message }, 'codec refused: %s', e.message);
      this.#sendCommand(
        pub.streamId,
        cmd.onStatus('error', 'NetStream.Publish.Rejected', e.message),
        CSID.status,
      );
      this.#o.hooks.rejected({ code: e.code, reason: e.message });
      this.#endSink('error');
      this.#shut(true);
    }
  }

  #endSink(reason: EndReason): void {
    const pub = this.#publishing;
    if (!pub) return;
    this.#publishing = undefined;
    this.#log.info(
      { app: pub.app, name: pub.name, reason },
      'unpublished %s/%s (%s)',
      pub.app,
      pub.name,
      reason,
    );
    try {
      // To the target a takeover is a publisher that dropped and came back at once.
      pub.sink.end(reason === 'takeover' ? 'disconnect' : reason);
    } catch (e) {
      this.#log.error({ err: describeError(e) }, 'StreamSink.end threw');
    }
    this.#o.hooks.unpublished({ app: pub.app, name: pub.name, reason });
  }
}
