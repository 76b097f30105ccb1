import { CorralError } from '../util/errors.js';
import { MSG } from './protocol.js';

/**
 * The receiving half of the RTMP chunk stream (RTMP 1.0 section 5.3): turns bytes into whole
 * messages. Set Chunk Size and Abort are applied here because they change how the very next chunk
 * is parsed; every other message (control ones included) is returned to the caller.
 *
 * Memory is bounded: a message's declared length is checked before any payload is kept, payload
 * is kept only as it arrives (never pre-allocated from the declared length), and the partial
 * payload held across all chunk streams is capped.
 */

export interface RtmpMessage {
  csid: number;
  typeId: number;
  streamId: number;
  /** Absolute timestamp in ms, modulo 2^32. */
  timestamp: number;
  payload: Buffer;
}

export interface ChunkReaderLimits {
  maxChunkSize: number;
  maxMessageSize: number;
  maxChunkStreams: number;
  /** Payload bytes of unfinished messages held across all chunk streams. */
  maxBufferedBytes: number;
}

interface StreamState {
  csid: number;
  timestamp: number;
  /** The raw timestamp field of the last header (absolute for fmt 0, delta otherwise). */
  tsField: number;
  extended: boolean;
  length: number;
  typeId: number;
  streamId: number;
  parts: Buffer[];
  received: number;
}

function limit(message: string): never {
  throw new CorralError('RTMP_LIMIT', message);
}

export class ChunkReader {
  #chunkSize = 128;
  readonly #streams = new Map<number, StreamState>();
  /** A partial chunk header (at most 18 bytes) waiting for the rest. */
  #leftover: Buffer = Buffer.alloc(0);
  /** The chunk whose payload is being read, and how many payload bytes it still has. */
  #current: StreamState | undefined;
  #chunkRemaining = 0;
  #buffered = 0;
  #bytesIn = 0;

  constructor(readonly limits: ChunkReaderLimits) {}

  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** Total bytes fed so far (what Acknowledgement messages report). */
  get bytesReceived(): number {
    return this.#bytesIn;
  }

  /** Payload bytes held for unfinished messages plus any partial header. */
  get bufferedBytes(): number {
    return this.#buffered + this.#leftover.length;
  }

  /** Feed bytes; returns every message they complete. Throws CorralError on bad input. */
  push(data: Buffer): RtmpMessage[] {
    this.#bytesIn += data.length;
    const buf = this.#leftover.length === 0 ? data : Buffer.concat([this.#leftover, data]);
    this.#leftover = Buffer.alloc(0);
    const out: RtmpMessage[] = [];
    let off = 0;
    while (off < buf.length) {
      if (this.#current) {
        off = this.#readPayload(buf, off, out);
        continue;
      }
      const next = this.#readHeader(buf, off, out);
      if (next < 0) {
        // Copy: the rest of `buf` (possibly a large socket read) must not stay referenced.
        this.#leftover = Buffer.from(buf.subarray(off));
        break;
      }
      off = next;
    }
    return out;
  }

  /** Returns the offset after the header, or -1 when the header is not complete yet. */
  #readHeader(buf: Buffer, start: number, out: RtmpMessage[]): number {
    let off = start;
    const avail = buf.length - start;
    if (avail < 1) return -1;
    const b0 = buf[off++]!;
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    if (csid === 0) {
      if (avail < 2) return -1;
      csid = 64 + buf[off++]!;
    } else if (csid === 1) {
      if (avail < 3) return -1;
      csid = 64 + buf[off]! + buf[off + 1]! * 256;
      off += 2;
    }
    const headerLen = [11, 7, 3, 0][fmt]!;
    if (buf.length - off < headerLen) return -1;

    let st = this.#streams.get(csid);
    if (!st) {
      if (fmt !== 0) {
        throw new CorralError('RTMP_PROTOCOL', `chunk stream ${csid} starts with a fmt ${fmt} header`);
      }
      if (this.#streams.size >= this.limits.maxChunkStreams) {
        limit(`more than ${this.limits.maxChunkStreams} chunk streams`);
      }
      st = {
        csid,
        timestamp: 0,
        tsField: 0,
        extended: false,
        length: 0,
        typeId: 0,
        streamId: 0,
        parts: [],
        received: 0,
      };
      this.#streams.set(csid, st);
    }

    const midMessage = st.received > 0;
    if (midMessage && fmt !== 3) {
      throw new CorralError(
        'RTMP_PROTOCOL',
        `chunk stream ${csid}: fmt ${fmt} header while a message is ${st.received}/${st.length} bytes in`,
      );
    }

    let tsField = st.tsField;
    let extended = st.extended;
    let length = st.length;
    let typeId = st.typeId;
    let streamId = st.streamId;
    if (fmt <= 2) {
      tsField = buf.readUIntBE(off, 3);
      extended = tsField === 0xffffff;
    }
    if (fmt <= 1) {
      length = buf.readUIntBE(off + 3, 3);
      typeId = buf[off + 6]!;
    }
    if (fmt === 0) streamId = buf.readUInt32LE(off + 7);
    off += headerLen;

    if (extended) {
      if (buf.length - off < 4) return -1;
      const ext = buf.readUInt32BE(off);
      if (fmt === 3 && midMessage) {
        // Continuation chunks repeat the extended timestamp per the spec, but some encoders
        // omit it; accept both by consuming the field only when it matches.
        if (ext === st.tsField) off += 4;
      } else {
        tsField = ext;
        off += 4;
      }
    }

    if (!midMessage) {
      if (length > this.limits.maxMessageSize) {
        limit(`message of ${length} bytes exceeds the limit of ${this.limits.maxMessageSize}`);
      }
      st.timestamp = fmt === 0 ? tsField : (st.timestamp + tsField) >>> 0;
      st.tsField = tsField;
      st.extended = extended;
      st.length = length;
      st.typeId = typeId;
      st.streamId = streamId;
    }

    this.#current = st;
    this.#chunkRemaining = Math.min(this.#chunkSize, st.length - st.received);
    if (this.#chunkRemaining === 0) this.#finishChunk(st, out);
    return off;
  }

  #readPayload(buf: Buffer, off: number, out: RtmpMessage[]): number {
    const st = this.#current!;
    const n = Math.min(this.#chunkRemaining, buf.length - off);
    if (this.#buffered + n > this.limits.maxBufferedBytes) {
      limit(`more than ${this.limits.maxBufferedBytes} bytes of unfinished messages`);
    }
    st.parts.push(Buffer.from(buf.subarray(off, off + n)));
    st.received += n;
    this.#buffered += n;
    this.#chunkRemaining -= n;
    if (this.#chunkRemaining === 0) this.#finishChunk(st, out);
    return off + n;
  }

  #finishChunk(st: StreamState, out: RtmpMessage[]): void {
    this.#current = undefined;
    if (st.received < st.length) return;
    const payload = st.parts.length === 1 ? st.parts[0]! : Buffer.concat(st.parts, st.received);
    this.#buffered -= st.received;
    st.parts = [];
    st.received = 0;
    const msg: RtmpMessage = {
      csid: st.csid,
      typeId: st.typeId,
      streamId: st.streamId,
      timestamp: st.timestamp,
      payload,
    };
    if (msg.typeId === MSG.setChunkSize) this.#setChunkSize(payload);
    else if (msg.typeId === MSG.abort) this.#abort(payload);
    else out.push(msg);
  }

  #setChunkSize(payload: Buffer): void {
    if (payload.length < 4) throw new CorralError('RTMP_PROTOCOL', 'Set Chunk Size message too short');
    // The top bit is reserved and must be zero, so it is read as part of the value and rejected.
    const size = payload.readUInt32BE(0);
    if (size < 1 || size > this.limits.maxChunkSize) {
      limit(`Set Chunk Size ${size} is outside 1..${this.limits.maxChunkSize}`);
    }
    this.#chunkSize = size;
  }

  #abort(payload: Buffer): void {
    if (payload.length < 4) throw new CorralError('RTMP_PROTOCOL', 'Abort message too short');
    const st = this.#streams.get(payload.readUInt32BE(0));
    if (!st) return;
    this.#buffered -= st.received;
    st.parts = [];
    st.received = 0;
  }
}
