import type { Logger } from '../util/logger.js';
import { CorralError, describeError, isCorralError, type ErrorCode } from '../util/errors.js';
import type { AmfValue } from './amf0.js';
import type { IngestSink, PublishTarget } from './types.js';
import type { PublishAuthorizer } from './auth.js';
import type { MediaTarget } from './media.js';
import type { Replies } from './replies.js';
import * as cmd from './commands.js';

/** 'takeover': a newer publish of the same name replaced this one. */
export type EndReason = 'unpublish' | 'disconnect' | 'error' | 'takeover';

/** What the server learns about a connection's publish, and how it can refuse one. */
export interface PublishHooks {
  /**
   * Authorised to publish app/name: make this session its owner. Throws a CorralError
   * (STREAM_BUSY) to refuse, or ends the current owner's session first (takeover).
   */
  claim(info: { app: string; name: string; keyed: boolean }): void;
  published(info: { app: string; name: string }): void;
  unpublished(info: { app: string; name: string; reason: EndReason }): void;
  rejected(info: { code: ErrorCode; reason: string }): void;
}

export interface PublishFlowOptions {
  target: PublishTarget;
  auth: PublishAuthorizer;
  apps: readonly string[];
  /** "ip:port" of the peer. */
  remote: string;
  secure: boolean;
  hooks: PublishHooks;
}

/** What the publish flow needs from the session that carries it. */
export interface PublishHost {
  isClosed(): boolean;
  /** Queue input and stop reading while the auth check and the PublishTarget decide. */
  hold(): void;
  /** Read again and replay what was queued, in order. */
  release(): void;
  shut(graceful: boolean): void;
  fail(e: unknown): void;
}

export interface Publishing extends MediaTarget {
  app: string;
  name: string;
  streamId: number;
  /** performance.now() of Publish.Start. */
  startedAt: number;
}

/**
 * NetConnection and NetStream commands, and the one publish a connection may hold: connect,
 * createStream, publish (checks, auth callback, claim, PublishTarget.open), unpublish and the
 * ways a publish is refused or ended.
 */
export class PublishFlow {
  readonly #o: PublishFlowOptions;
  readonly #host: PublishHost;
  readonly #replies: Replies;
  readonly #log: Logger;
  #connect: { app: string; query: URLSearchParams } | undefined;
  #nextStreamId = 1;
  #publishing: Publishing | undefined;

  constructor(opts: PublishFlowOptions, host: PublishHost, replies: Replies, log: Logger) {
    this.#o = opts;
    this.#host = host;
    this.#replies = replies;
    this.#log = log;
  }

  /** MediaIn records the publish's progress (lastMediaAt) here. */
  get current(): Publishing | undefined {
    return this.#publishing;
  }

  /** The values of a command message (AMF0, or AMF3 with its format byte already dropped). */
  command(streamId: number, values: AmfValue[]): void {
    const c = cmd.parseCommand(values);
    if (!c) throw new CorralError('RTMP_PROTOCOL', 'command message without a command name');
    this.#log.debug({ command: c.name, txid: c.txid }, 'RTMP command %s', c.name);
    switch (c.name) {
      case 'connect':
        return this.#onConnect(c);
      case 'releaseStream':
        if (c.txid > 0) this.#replies.command(0, cmd.result(c.txid, undefined));
        return;
      case 'FCPublish':
        if (c.txid > 0) this.#replies.command(0, cmd.result(c.txid, undefined));
        this.#replies.command(0, cmd.onFCPublish(typeof c.args[0] === 'string' ? c.args[0] : ''));
        return;
      case 'createStream':
        this.#replies.command(0, cmd.result(c.txid, this.#nextStreamId++));
        return;
      case 'publish':
        return this.#onPublish(streamId, c);
      case 'FCUnpublish':
      case 'deleteStream':
      case 'closeStream':
        this.end('unpublish');
        return;
      case 'play':
      case 'play2':
        this.#replies.status(streamId, 'error', 'NetStream.Play.Failed', 'this server is ingest only');
        return;
      case '_result':
      case '_error':
      case 'onBWDone':
      case '_checkbw':
        return;
      default:
        this.#log.debug({ command: c.name }, 'unknown RTMP command %s', c.name);
        if (c.txid > 0) this.#replies.command(streamId, cmd.callError(c.txid, `unknown command ${c.name}`));
    }
  }

  /** Tell the peer a newer publish of its name won, and end this one (the session closes after). */
  takenOver(reason: string): void {
    const pub = this.#publishing;
    this.#log.warn({ reason }, 'publish taken over: %s', reason);
    if (pub) {
      this.#replies.status(
        pub.streamId,
        'error',
        'NetStream.Publish.Rejected',
        `another publisher took over ${pub.app}/${pub.name}`,
      );
    }
    this.end('takeover');
  }

  refuseCodec(e: CorralError): void {
    const pub = this.#publishing;
    this.#log.warn({ code: e.code, reason: e.message }, 'codec refused: %s', e.message);
    if (pub) this.#replies.status(pub.streamId, 'error', 'NetStream.Publish.Rejected', e.message);
    this.#o.hooks.rejected({ code: e.code, reason: e.message });
    this.end('error');
    this.#host.shut(true);
  }

  /** End the publish, if any: the sink first, then the server hears of it. */
  end(reason: EndReason): void {
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

  #onConnect(c: cmd.Command): void {
    if (this.#connect) throw new CorralError('RTMP_PROTOCOL', 'connect sent twice');
    const rawApp = c.object?.app;
    const { app, query } = cmd.parseApp(typeof rawApp === 'string' ? rawApp : '');
    this.#connect = { app, query: cmd.mergeQuery(query, cmd.tcUrlQuery(c.object?.tcUrl)) };
    this.#log.info({ app, flashVer: c.object?.flashVer }, 'RTMP connect to app "%s"', app);
    this.#replies.connectSettings();
    this.#replies.command(0, cmd.connectResult(c.txid));
  }

  #onPublish(streamId: number, c: cmd.Command): void {
    if (this.#publishing) {
      this.#replies.status(
        streamId,
        'error',
        'NetStream.Publish.BadConnection',
        'this connection is already publishing',
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
      return this.#refuse(streamId, e);
    }
    const req = {
      app,
      name,
      query: cmd.mergeQuery(this.#connect.query, query),
      remote: this.#o.remote,
      secure: this.#o.secure,
    };
    this.#host.hold();
    Promise.resolve()
      .then(() => this.#o.auth.authorize(req))
      .then(({ keyed }) => {
        // The peer may have left while the callback was asked: claim nothing for nobody.
        if (this.#host.isClosed()) return undefined;
        this.#o.hooks.claim({ app, name, keyed });
        return this.#o.target.open(req);
      })
      .then(
        (sink) => sink && this.#opened(streamId, app, name, sink),
        (e: unknown) => {
          if (!this.#host.isClosed()) this.#refuse(streamId, e);
        },
      )
      .catch((e: unknown) => this.#host.fail(e));
  }

  #opened(streamId: number, app: string, name: string, sink: IngestSink): void {
    if (this.#host.isClosed()) {
      // The broadcaster left while we were deciding: the sink was opened for nobody.
      sink.end('disconnect');
      return;
    }
    this.#publishing = { app, name, sink, streamId, startedAt: performance.now(), lastMediaAt: undefined };
    this.#replies.streamBegin(streamId);
    this.#replies.status(streamId, 'status', 'NetStream.Publish.Start', `${name} is now published`);
    this.#log.info({ app, name }, 'publishing %s/%s', app, name);
    this.#o.hooks.published({ app, name });
    this.#host.release();
  }

  #refuse(streamId: number, e: unknown): void {
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
    this.#replies.status(streamId, 'error', status, reason);
    this.#o.hooks.rejected({ code, reason });
    this.#host.shut(true);
  }
}
