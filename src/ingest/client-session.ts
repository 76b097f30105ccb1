import { CorralError, type ErrorCode } from '../util/errors.js';
import { amfProps, decodeAmf0, encodeAmf0, type AmfValue } from './amf0.js';
import { ChunkReader } from './chunk-reader.js';
import { ChunkWriter } from './chunk-writer.js';
import { ClientHandshake } from './client-handshake.js';
import { MSG, USER_CONTROL } from './protocol.js';

/** Where one upstream publish goes: the RTMP application, the stream name with its query. */
export interface ClientTarget {
  tcUrl: string;
  app: string;
  /** Stream name as sent in publish, query (the key) included: "demo?key=abc". */
  stream: string;
}

/** Chunk streams for media, as ffmpeg uses them: servers need not care, but some log by them. */
const CSID_AUDIO = 4;
const CSID_VIDEO = 6;
const CSID_DATA = 8;
/** Large chunks: one header per 64 KiB instead of per 128 B costs the upstream less per frame. */
const CLIENT_CHUNK_SIZE = 65_536;
/** Upstream replies are small; this only bounds a hostile or broken upstream. */
const REPLY_LIMITS = {
  maxChunkSize: 1 << 20,
  maxMessageSize: 1 << 20,
  maxChunkStreams: 64,
  maxBufferedBytes: 4 << 20,
};

const TX_CONNECT = 1;
const TX_CREATE = 2;
const TX_PUBLISH = 3;

export interface ClientSessionHooks {
  send(data: Buffer): void;
  /** Publish.Start arrived: media may flow. */
  published(): void;
  /** The upstream said no (or broke the protocol): this connection is of no further use. */
  refused(e: CorralError): void;
}

/**
 * The publisher side of one RTMP connection, without socket I/O (the server's session in reverse):
 * handshake, connect, createStream, publish, then media out. Tests drive it against the server's
 * RtmpSession in memory.
 */
export class ClientSession {
  readonly #t: ClientTarget;
  readonly #h: ClientSessionHooks;
  readonly #handshake = new ClientHandshake();
  readonly #reader = new ChunkReader(REPLY_LIMITS);
  readonly #writer = new ChunkWriter();
  #streamId = 0;
  #state: 'handshake' | 'connect' | 'create' | 'publish' | 'live' | 'failed' = 'handshake';

  constructor(target: ClientTarget, hooks: ClientSessionHooks) {
    this.#t = target;
    this.#h = hooks;
  }

  get failed(): boolean {
    return this.#state === 'failed';
  }

  get live(): boolean {
    return this.#state === 'live';
  }

  start(): void {
    this.#h.send(this.#handshake.start());
  }

  feed(data: Buffer): void {
    if (this.#state === 'failed') return;
    try {
      if (!this.#handshake.done) {
        const r = this.#handshake.feed(data);
        if (!r) return;
        this.#h.send(Buffer.concat([r.reply, this.#writer.setChunkSize(CLIENT_CHUNK_SIZE)]));
        this.#connect();
        data = r.rest;
        if (data.length === 0) return;
      }
      for (const m of this.#reader.push(data)) {
        if (m.typeId === MSG.commandAmf0) this.#command(decodeAmf0(m.payload));
        else if (m.typeId === MSG.userControl) this.#userControl(m.payload);
        if (this.failed) return;
      }
    } catch (e) {
      this.#fail(e instanceof CorralError ? e.code : 'RTMP_PROTOCOL', (e as Error).message);
    }
  }

  /** One audio, video or data message of the publish, timestamp as the broadcaster sent it. */
  media(typeId: number, timestamp: number, payload: Buffer): Buffer {
    const csid = typeId === MSG.audio ? CSID_AUDIO : typeId === MSG.video ? CSID_VIDEO : CSID_DATA;
    return this.#writer.write({ csid, typeId, streamId: this.#streamId, timestamp, payload });
  }

  #connect(): void {
    this.#state = 'connect';
    this.#send(0, [
      'connect',
      TX_CONNECT,
      {
        app: this.#t.app,
        type: 'nonprivate',
        flashVer: 'FMLE/3.0 (compatible; corral)',
        tcUrl: this.#t.tcUrl,
      },
    ]);
  }

  #send(streamId: number, values: AmfValue[]): void {
    const payload = encodeAmf0(...values);
    this.#h.send(this.#writer.write({ csid: 3, typeId: MSG.commandAmf0, streamId, timestamp: 0, payload }));
  }

  #command(v: AmfValue[]): void {
    const [name, txid] = v;
    const info = amfProps(v[3] ?? null);
    if (name === '_error') {
      return this.#fail('PUBLISH_DENIED', `upstream refused: ${String(info?.description ?? info?.code)}`);
    }
    if (name === '_result' && txid === TX_CONNECT && this.#state === 'connect') {
      this.#state = 'create';
      return this.#send(0, ['createStream', TX_CREATE, null]);
    }
    if (name === '_result' && txid === TX_CREATE && this.#state === 'create') {
      this.#streamId = typeof v[3] === 'number' ? v[3] : 1;
      this.#state = 'publish';
      return this.#send(this.#streamId, ['publish', TX_PUBLISH, null, this.#t.stream, 'live']);
    }
    if (name !== 'onStatus' || !info) return;
    const code = String(info.code ?? '');
    if (code === 'NetStream.Publish.Start' && this.#state === 'publish') {
      this.#state = 'live';
      return this.#h.published();
    }
    if (info.level === 'error') {
      // BadName is "already live" or a name the upstream will not take; either way not a key problem.
      const why: ErrorCode = code.endsWith('Unauthorized')
        ? 'PUBLISH_UNAUTHORIZED'
        : code.endsWith('BadName')
          ? 'STREAM_BUSY'
          : 'PUBLISH_DENIED';
      this.#fail(why, `upstream: ${code} ${String(info.description ?? '')}`.trim());
    }
  }

  #userControl(p: Buffer): void {
    if (p.length >= 6 && p.readUInt16BE(0) === USER_CONTROL.pingRequest) {
      this.#h.send(this.#writer.userControl(USER_CONTROL.pingResponse, p.readUInt32BE(2)));
    }
  }

  #fail(code: ErrorCode, message: string): void {
    if (this.#state === 'failed') return;
    this.#state = 'failed';
    this.#h.refused(new CorralError(code, message, { recoverable: true }));
  }
}
