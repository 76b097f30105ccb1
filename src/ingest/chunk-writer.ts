import { MSG, USER_CONTROL, CSID } from './protocol.js';

/**
 * The sending half of the chunk stream: turns messages into chunks. Headers are compressed
 * (fmt 1/2/3) when the previous message on the same chunk stream allows it, and the extended
 * timestamp is repeated on every fmt 3 continuation chunk, as the spec and ffmpeg do.
 */

export interface OutMessage {
  csid: number;
  typeId: number;
  streamId: number;
  timestamp: number;
  payload: Buffer;
}

interface Last {
  streamId: number;
  typeId: number;
  length: number;
  timestamp: number;
  delta: number;
}

function basicHeader(fmt: number, csid: number): Buffer {
  if (csid < 2 || csid > 65599) throw new RangeError(`chunk stream id ${csid} out of range 2..65599`);
  if (csid <= 63) return Buffer.from([(fmt << 6) | csid]);
  if (csid <= 319) return Buffer.from([fmt << 6, csid - 64]);
  const v = csid - 64;
  return Buffer.from([(fmt << 6) | 1, v & 0xff, v >> 8]);
}

export class ChunkWriter {
  #chunkSize = 128;
  readonly #last = new Map<number, Last>();

  get chunkSize(): number {
    return this.#chunkSize;
  }

  /** Encode one message. `compress: false` forces a fmt 0 header (used by tests and after resets). */
  write(msg: OutMessage, compress = true): Buffer {
    const ts = msg.timestamp >>> 0;
    const prev = compress ? this.#last.get(msg.csid) : undefined;
    let fmt = 0;
    let tsField = ts;
    if (prev && prev.streamId === msg.streamId && ts >= prev.timestamp) {
      const delta = ts - prev.timestamp;
      tsField = delta;
      if (prev.typeId !== msg.typeId || prev.length !== msg.payload.length) fmt = 1;
      else if (prev.delta !== delta) fmt = 2;
      else fmt = 3;
    }
    this.#last.set(msg.csid, {
      streamId: msg.streamId,
      typeId: msg.typeId,
      length: msg.payload.length,
      timestamp: ts,
      delta: fmt === 0 ? ts : tsField,
    });

    const extended = tsField >= 0xffffff;
    const field = extended ? 0xffffff : tsField;
    const header = Buffer.alloc([11, 7, 3, 0][fmt]!);
    if (fmt <= 2) header.writeUIntBE(field, 0, 3);
    if (fmt <= 1) {
      header.writeUIntBE(msg.payload.length, 3, 3);
      header[6] = msg.typeId;
    }
    if (fmt === 0) header.writeUInt32LE(msg.streamId, 7);
    const ext = Buffer.alloc(extended ? 4 : 0);
    if (extended) ext.writeUInt32BE(tsField, 0);

    const parts: Buffer[] = [basicHeader(fmt, msg.csid), header, ext];
    const cont = Buffer.concat([basicHeader(3, msg.csid), ext]);
    for (let off = 0; off < msg.payload.length || off === 0; off += this.#chunkSize) {
      if (off > 0) parts.push(cont);
      parts.push(msg.payload.subarray(off, off + this.#chunkSize));
      if (msg.payload.length === 0) break;
    }
    return Buffer.concat(parts);
  }

  /** Set Chunk Size message; the new size applies to messages written after it. */
  setChunkSize(size: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(size & 0x7fffffff, 0);
    const out = this.control(MSG.setChunkSize, b);
    this.#chunkSize = size;
    return out;
  }

  windowAckSize(size: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(size >>> 0, 0);
    return this.control(MSG.windowAckSize, b);
  }

  /** limitType 2 = dynamic. */
  setPeerBandwidth(size: number, limitType = 2): Buffer {
    const b = Buffer.alloc(5);
    b.writeUInt32BE(size >>> 0, 0);
    b[4] = limitType;
    return this.control(MSG.setPeerBandwidth, b);
  }

  ack(sequence: number): Buffer {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(sequence >>> 0, 0);
    return this.control(MSG.ack, b);
  }

  userControl(event: number, value: number, extra?: number): Buffer {
    const b = Buffer.alloc(extra === undefined ? 6 : 10);
    b.writeUInt16BE(event, 0);
    b.writeUInt32BE(value >>> 0, 2);
    if (extra !== undefined) b.writeUInt32BE(extra >>> 0, 6);
    return this.control(MSG.userControl, b);
  }

  streamBegin(streamId: number): Buffer {
    return this.userControl(USER_CONTROL.streamBegin, streamId);
  }

  control(typeId: number, payload: Buffer): Buffer {
    // Protocol control messages go on chunk stream 2, message stream 0 (RTMP 1.0 section 5.4).
    return this.write({ csid: CSID.control, typeId, streamId: 0, timestamp: 0, payload });
  }
}
