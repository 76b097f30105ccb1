import net, { type AddressInfo } from 'node:net';
import tls from 'node:tls';
import type { Registry } from 'prom-client';
import type { IngestLimits } from '../config/schema.js';
import { CorralError, describeError, type ErrorCode } from '../util/errors.js';
import { adoptSharedReads } from '../util/shared-reads.js';
import { TypedEmitter } from '../util/events.js';
import type { Logger } from '../util/logger.js';
import { ingestMetrics, type IngestMetrics } from './metrics.js';
import { RtmpSession } from './session.js';
import type { EndReason } from './publish-flow.js';
import type { PublishTarget } from './types.js';
import { PublishAuth, type PublishAuthorizer } from './auth.js';
import { addressGroup, peerAddress } from './address.js';
import { ConnectionMemory, MemoryBudget, TLS_CONNECTION_COST } from './memory.js';

export type RtmpServerEvents = {
  publish: { app: string; name: string; remote: string; secure: boolean };
  unpublish: { app: string; name: string; reason: EndReason };
  rejected: { remote: string; code: ErrorCode; reason: string };
  connectionError: { remote: string; code: ErrorCode; message: string };
};

export interface RtmpServerOptions {
  target: PublishTarget;
  limits: IngestLimits;
  apps: string[];
  logger: Logger;
  registry?: Registry;
  /** The global stream key (config publishKey); per-stream keys come from `limits.streamKeys`. */
  publishKey?: string;
  /** Replaces the key and callback checks built from the options above (embedding, tests). */
  auth?: PublishAuthorizer;
}

/** After a graceful close (an onStatus error was queued) the peer gets this long to read it. */
const LINGER_MS = 2000;

/**
 * The RTMP and RTMPS listeners. Both feed the same RtmpSession code; this class owns only
 * sockets: accepting (with a cap), timeouts, buffering bounds, metrics and shutdown.
 */
export class RtmpServer extends TypedEmitter<RtmpServerEvents> {
  readonly #o: RtmpServerOptions;
  readonly #log: Logger;
  readonly #metrics: IngestMetrics;
  readonly #servers: net.Server[] = [];
  /** Every accepted raw socket, TLS ones included while they handshake: what the cap counts. */
  readonly #sockets = new Set<net.Socket>();
  readonly #sessions = new Set<RtmpSession>();
  /** Open raw sockets per address group (addressGroup): what maxConnectionsPerAddress counts. */
  readonly #perAddress = new Map<string, number>();
  /** "app/name" -> the session that claimed it (authorised; opening or publishing). */
  readonly #owners = new Map<string, RtmpSession>();
  readonly #auth: PublishAuthorizer;
  /** Each session's input, each socket's unread input and unsent output, each TLS state. */
  readonly #budget = new MemoryBudget();
  #nextId = 0;

  constructor(opts: RtmpServerOptions) {
    super();
    this.#o = opts;
    this.#log = opts.logger;
    this.#metrics = ingestMetrics(opts.registry);
    this.#auth =
      opts.auth ??
      new PublishAuth(
        { ...opts.limits, publishKey: opts.publishKey ?? '' },
        opts.logger.child({ c: 'auth' }),
      );
  }

  connectionCount(): number {
    return this.#sockets.size;
  }

  /** Bytes charged against maxTotalBufferedBytes now. */
  heldBytes(): number {
    return this.#budget.held;
  }

  listen(port: number, host: string): Promise<AddressInfo> {
    // Paused at accept, so the connection can still be moved to a shared-read socket.
    const server = net.createServer({ pauseOnConnect: true });
    server.on('connection', (raw: net.Socket) => {
      let feed: (chunk: Buffer) => void = () => {};
      const moved = this.#o.limits.sharedReads ? adoptSharedReads(raw, (chunk) => feed(chunk)) : undefined;
      const socket = moved ?? raw;
      if (!this.#admit(socket, false)) return;
      feed = this.#accept(socket, false);
      if (moved !== undefined) return;
      socket.on('data', feed);
      if (socket.isPaused()) socket.resume();
    });
    return this.#listen(server, port, host, 'rtmp');
  }

  listenTls(
    port: number,
    host: string,
    creds: { cert: string | Buffer; key: string | Buffer },
  ): Promise<AddressInfo> {
    const secureContext = tls.createSecureContext({ cert: creds.cert, key: creds.key });
    // TLS is layered by hand on a plain listener so the cap applies before any TLS work, and a
    // socket refused by the cap never shows up as a TLS failure.
    const server = net.createServer();
    server.on('connection', (raw) => {
      if (this.#admit(raw, true)) this.#startTls(raw, secureContext, performance.now());
    });
    return this.#listen(server, port, host, 'rtmps');
  }

  /** `acceptedAt`: performance.now() at admission, where the handshake deadline starts. */
  #startTls(raw: net.Socket, secureContext: tls.SecureContext, acceptedAt: number): void {
    const remote = `${raw.remoteAddress}:${raw.remotePort}`;
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext });
    let secured = false;
    const timer = setTimeout(() => {
      socket.destroy(new Error(`no TLS handshake within ${this.#o.limits.handshakeTimeoutMs} ms`));
    }, this.#o.limits.handshakeTimeoutMs);
    timer.unref();
    socket.once('secure', () => {
      secured = true;
      clearTimeout(timer);
      socket.on('data', this.#accept(socket, true, remote, acceptedAt));
    });
    socket.on('error', (err) => {
      if (secured) return;
      clearTimeout(timer);
      const message = `TLS handshake failed: ${describeError(err)}`;
      this.#log.warn({ remote, code: 'RTMP_HANDSHAKE', err: describeError(err) }, message);
      this.#metrics.tlsError();
      this.emit('connectionError', { remote, code: 'RTMP_HANDSHAKE', message });
      socket.destroy();
    });
    socket.once('close', () => {
      clearTimeout(timer);
      raw.destroy();
    });
  }

  async close(): Promise<void> {
    const closing = this.#servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    this.#servers.length = 0;
    // Sinks end now, not when the sockets' close events eventually run.
    for (const s of this.#sessions) s.closed();
    for (const sock of this.#sockets) sock.destroy();
    await Promise.all(closing);
  }

  #listen(server: net.Server, port: number, host: string, kind: string): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        server.on('error', (e) => this.#log.error({ err: describeError(e) }, '%s listener error', kind));
        this.#servers.push(server);
        const addr = server.address() as AddressInfo;
        this.#log.info(
          { host: addr.address, port: addr.port },
          '%s listening on %s:%d',
          kind,
          addr.address,
          addr.port,
        );
        resolve(addr);
      });
    });
  }

  /** Count a raw socket against the caps (global and per address); refuse it at once past one. */
  #admit(raw: net.Socket, secure: boolean): boolean {
    const remote = `${raw.remoteAddress}:${raw.remotePort}`;
    const address = addressGroup(raw.remoteAddress);
    const { maxConnections, maxConnectionsPerAddress, maxTotalBufferedBytes } = this.#o.limits;
    const fromAddress = this.#perAddress.get(address) ?? 0;
    // TLS state is held from the first ClientHello on, whatever the peer does next.
    const cost = secure ? TLS_CONNECTION_COST : 0;
    let reason: string | undefined;
    if (this.#sockets.size >= maxConnections) {
      reason = `connection limit of ${maxConnections} reached`;
    } else if (fromAddress >= maxConnectionsPerAddress) {
      reason = `limit of ${maxConnectionsPerAddress} connections from ${address} reached`;
    } else if (this.#budget.held + cost > maxTotalBufferedBytes) {
      reason = `all connections together hold more than ${maxTotalBufferedBytes} bytes`;
    }
    if (reason) {
      this.#log.warn({ remote, secure, code: 'RTMP_LIMIT' }, 'refusing connection: %s', reason);
      this.#metrics.rejected('RTMP_LIMIT');
      this.emit('rejected', { remote, code: 'RTMP_LIMIT', reason });
      raw.on('error', () => {});
      raw.destroy();
      return false;
    }
    this.#sockets.add(raw);
    this.#perAddress.set(address, fromAddress + 1);
    this.#budget.charge(cost);
    this.#metrics.connections(1);
    raw.on('error', (e) => this.#log.debug({ remote, err: describeError(e) }, 'socket error'));
    raw.once('close', () => {
      this.#sockets.delete(raw);
      this.#budget.charge(-cost);
      const left = (this.#perAddress.get(address) ?? 1) - 1;
      if (left > 0) this.#perAddress.set(address, left);
      else this.#perAddress.delete(address);
      this.#metrics.connections(-1);
    });
    return true;
  }

  /**
   * Make `session` the owner of `path`, taking the name over from a live owner when allowed:
   * always for a keyed publisher (it holds the stream's secret, so it is the broadcaster coming
   * back, and a frozen old connection must not lock it out); without a key only from the same IP
   * address and once the old publish has gone quiet, because with no key configured anybody may
   * publish and a stranger must not be able to cut a healthy broadcast off.
   */
  #claim(session: RtmpSession, path: string, keyed: boolean): void {
    const old = this.#owners.get(path);
    if (old && old !== session) {
      const quiet = old.quietFor(performance.now());
      if (!keyed) {
        const needed = this.#o.limits.takeoverQuietMs;
        if (old.address !== session.address || quiet === undefined || quiet < needed) {
          throw new CorralError(
            'STREAM_BUSY',
            `stream ${path} is already live (without a stream key only the same address may take ` +
              `it over, after ${needed} ms without media)`,
          );
        }
      }
      const how = keyed
        ? 'with a valid key'
        : `from the same address after ${Math.round(quiet ?? 0)} ms without media`;
      // Logged by the old session, whose log context names the connection that is cut off.
      old.takeOver(`taken over by ${session.remote} ${how}`);
    }
    this.#owners.set(path, session);
  }

  #release(session: RtmpSession, path: string | undefined): void {
    if (path !== undefined && this.#owners.get(path) === session) this.#owners.delete(path);
  }

  #accept(
    socket: net.Socket,
    secure: boolean,
    remote = `${socket.remoteAddress}:${socket.remotePort}`,
    acceptedAt = performance.now(),
  ): (data: Buffer) => void {
    const log = this.#log.child({ conn: ++this.#nextId, remote, secure });
    const limits = this.#o.limits;
    log.debug('connection accepted');
    socket.setNoDelay(true);
    let linger: NodeJS.Timeout | undefined;
    /** The name this connection claimed, released when its publish ends or is refused. */
    let claimed: string | undefined;
    const session: RtmpSession = new RtmpSession({
      target: this.#o.target,
      auth: this.#auth,
      limits,
      apps: this.#o.apps,
      logger: log,
      remote,
      address: peerAddress(socket.remoteAddress),
      secure,
      hooks: {
        send: (data) => {
          memory.write(data);
        },
        close: (graceful) => {
          if (!graceful) return void socket.destroy();
          socket.end();
          linger = setTimeout(() => socket.destroy(), LINGER_MS);
          linger.unref();
        },
        pause: () => memory.pause(),
        resume: () => memory.resume(),
        handshakeDone: () => {
          clearTimeout(handshakeTimer);
          awaitPublish();
        },
        claim: ({ app, name, keyed }) => {
          const path = `${app}/${name}`;
          this.#claim(session, path, keyed);
          claimed = path;
        },
        published: ({ app, name }) => {
          this.#metrics.publishing(1);
          watchMedia();
          this.emit('publish', { app, name, remote, secure });
        },
        unpublished: (info) => {
          this.#metrics.publishing(-1);
          this.#release(session, claimed);
          claimed = undefined;
          // Still connected after an unpublish (deleteStream without closing): publish again soon.
          if (!socket.destroyed) awaitPublish();
          this.emit('unpublish', info);
        },
        rejected: ({ code, reason }) => {
          this.#release(session, claimed);
          claimed = undefined;
          this.#metrics.rejected(code);
          this.emit('rejected', { remote, code, reason });
        },
        failed: ({ code, message }) => this.emit('connectionError', { remote, code, message }),
      },
    });
    this.#sessions.add(session);

    // One deadline from admission, so TLS and RTMP handshakes together get handshakeTimeoutMs.
    const handshakeTimer = setTimeout(
      () => {
        session.fail(
          new CorralError('RTMP_TIMEOUT', `no RTMP handshake within ${limits.handshakeTimeoutMs} ms`),
        );
      },
      Math.max(0, acceptedAt + limits.handshakeTimeoutMs - performance.now()),
    );
    handshakeTimer.unref();
    socket.setTimeout(limits.idleTimeoutMs);
    socket.on('timeout', () => {
      session.fail(new CorralError('RTMP_TIMEOUT', `no data for ${limits.idleTimeoutMs} ms`));
    });

    // The idle timeout above is reset by any byte; these deadlines move only with real progress
    // (a publish, then audio or video), so a trickle of control bytes or pings cannot hold a
    // connection, a stream name or a stream slot.
    let deadline: NodeJS.Timeout | undefined;
    const arm = (ms: number, fire: () => void): void => {
      clearTimeout(deadline);
      deadline = setTimeout(fire, ms);
      deadline.unref();
    };
    const timeout = (message: string) => session.fail(new CorralError('RTMP_TIMEOUT', message));
    const awaitPublish = (): void =>
      arm(limits.publishTimeoutMs, () =>
        timeout(`not publishing ${limits.publishTimeoutMs} ms after the handshake`),
      );
    // One timer, re-armed lazily from the last media time rather than reset per frame. Before
    // the first media it wakes at least every mediaTimeoutMs, so a publish that sends a little
    // and then freezes is still caught mediaTimeoutMs after its last media, give or take one period.
    const watchMedia = (): void => {
      const startedAt = session.publishStartedAt;
      if (startedAt === undefined) return;
      const now = performance.now();
      const last = session.lastMediaAt;
      if (last === undefined) {
        const left = startedAt + limits.firstMediaTimeoutMs - now;
        if (left <= 0) timeout(`no audio or video within ${limits.firstMediaTimeoutMs} ms of publishing`);
        else arm(Math.min(left, limits.mediaTimeoutMs), watchMedia);
        return;
      }
      const left = last + limits.mediaTimeoutMs - now;
      if (left <= 0) timeout(`no audio or video for ${limits.mediaTimeoutMs} ms`);
      else arm(left, watchMedia);
    };

    const memory = new ConnectionMemory({
      socket,
      budget: this.#budget,
      limits,
      sessionBytes: () => session.bufferedBytes,
      fail: (e) => session.fail(e),
    });
    // The caller delivers reads: 'data' events, or a shared buffer that is reused after this call
    // returns (the handshake and the chunk reader copy whatever they keep).
    const onData = (data: Buffer): void => {
      this.#metrics.bytes(data.length);
      session.feed(data);
      memory.check();
    };
    socket.on('error', (e) => log.debug({ err: describeError(e) }, 'socket error'));
    socket.once('close', () => {
      clearTimeout(handshakeTimer);
      clearTimeout(linger);
      clearTimeout(deadline);
      this.#sessions.delete(session);
      session.closed();
      this.#release(session, claimed);
      memory.release();
      log.debug('connection closed');
    });
    return onData;
  }
}
