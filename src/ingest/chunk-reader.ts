import { CorralError } from '../util/errors.js';
import { MSG } from './protocol.js';

/**
 * The receiving half of the RTMP chunk stream (RTMP 1.0 section 5.3): turns bytes into whole
 * messages. Set Chunk Size and Abort are applied here because they change how the very next chunk
 * is parsed; every other message (control ones included) is returned to the caller.
 *
 * Memory is bounded by what it really costs, not by payload bytes: a message's declared length is
 * checked before any payload is kept; each unfinished message is ONE buffer that grows
 * geometrically as payload arrives (never pre-allocated from the declared length, never one Buffer
 * per chunk, which at chunk size 1 cost ~100 bytes of heap per payload byte), and the limit counts
 * those buffers' capacity plus a fixed cost per chunk stream.
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
  /** Memory held for unfinished messages across all chunk streams (buffer capacity, not payload). */
  maxBufferedBytes: number;
}

/** What one chunk stream's state costs beyond its buffer (object, map entry), charged per stream. */
export const CHUNK_STREAM_COST = 256;
/** First allocation for a multi-chunk message; it doubles from there up to the declared length. */
const FIRST_CAPACITY = 16 * 1024;
/** Message header length by chunk format (RTMP 1.0 section 5.3.1.2). */
const HEADER_LENGTH = [11, 7, 3, 0] as const;
/** No partial header: one shared empty buffer, not one allocated per read. */
const NO_LEFTOVER = Buffer.alloc(0);

interface StreamState {
  csid: number;
  timestamp: number;
  /** The raw timestamp field of the last header (absolute for fmt 0, delta otherwise). */
  tsField: number;
  extended: boolean;
  length: number;
  typeId: number;
  streamId: number;
  /** The unfinished message's payload so far; capacity never exceeds the declared length. */
  buf: Buffer | undefined;
  received: number;
}

function limit(message: string): never {
  throw new CorralError('RTMP_LIMIT', message);
}

export class ChunkReader {
  #chunkSize = 128;
  readonly #streams = new Map<number, StreamState>();
  /** A partial chunk header (at most 18 bytes) waiting for the rest. */
  #leftover: Buffer = NO_LEFTOVER;
  /** The chunk whose payload is being read, and how many payload bytes it still has. */
  #current: StreamState | undefined;
  #chunkRemaining = 0;
  /** Capacity of every unfinished message's buffer. */
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

  /** Memory held for this connection's input: message buffers, chunk streams, a partial header. */
  get bufferedBytes(): number {
    return this.#buffered + this.#streams.size * CHUNK_STREAM_COST + this.#leftover.length;
  }

  /** Feed bytes; returns every message they complete. Throws CorralError on bad input. */
  push(data: Buffer): RtmpMessage[] {
    this.#bytesIn += data.length;
    const buf = this.#leftover.length === 0 ? data : Buffer.concat([this.#leftover, data]);
    this.#leftover = NO_LEFTOVER;
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
    const headerLen = HEADER_LENGTH[fmt]!;
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
        buf: undefined,
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
    const need = st.received + n;
    const capacity = st.buf?.length ?? 0;
    if (need > capacity) this.#grow(st, need, capacity);
    buf.copy(st.buf!, st.received, off, off + n);
    st.received = need;
    this.#chunkRemaining -= n;
    if (this.#chunkRemaining === 0) this.#finishChunk(st, out);
    return off + n;
  }

  /** Replace the message buffer by one at least `need` bytes long, charging the new capacity first. */
  #grow(st: StreamState, need: number, capacity: number): void {
    const next = Math.min(st.length, Math.max(need, capacity * 2, FIRST_CAPACITY));
    if (this.#buffered - capacity + next > this.limits.maxBufferedBytes) {
      limit(`more than ${this.limits.maxBufferedBytes} bytes of unfinished messages`);
    }
    const grown = Buffer.allocUnsafe(next);
    if (st.buf) st.buf.copy(grown, 0, 0, st.received);
    st.buf = grown;
    this.#buffered += next - capacity;
  }

  #release(st: StreamState): void {
    this.#buffered -= st.buf?.length ?? 0;
    st.buf = undefined;
    st.received = 0;
  }

  #finishChunk(st: StreamState, out: RtmpMessage[]): void {
    this.#current = undefined;
    if (st.received < st.length) return;
    // Capacity is capped at the declared length, so a finished buffer is exactly the payload.
    const payload = st.buf ?? Buffer.alloc(0);
    this.#release(st);
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
    if (st) this.#release(st);
  }
}
