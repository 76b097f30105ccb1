import { CorralError } from '../util/errors.js';
import type { AacConfig, AudioFrame, H264Config, VideoFrame } from './types.js';

/**
 * The FLV file container (FLV 10.1, annex E): the 9-byte file header, then tags, each followed by
 * a PreviousTagSize back pointer. This is how media travels to and from an ffmpeg child over its
 * pipes. Pure bytes in, bytes out; tag BODIES are decoded by flv-tags.ts (parseVideoTag /
 * parseAudioTag), the same code that reads RTMP messages, so there is one decoder for both.
 */

export const FLV_TAG_AUDIO = 8;
export const FLV_TAG_VIDEO = 9;
export const FLV_TAG_SCRIPT = 18;
export type FlvTagType = typeof FLV_TAG_AUDIO | typeof FLV_TAG_VIDEO | typeof FLV_TAG_SCRIPT;

export interface FlvTag {
  type: FlvTagType;
  /** Milliseconds, 32 bits (the extended byte is the high 8 bits). */
  timestamp: number;
  body: Buffer;
}

export interface FlvHeaderFlags {
  audio: boolean;
  video: boolean;
}

const TAG_HEADER = 11;
const BACK_POINTER = 4;
/** Tag DataSize is UI24: nothing larger can be framed at all. */
const MAX_DATA_SIZE = 0xffffff;

const AVC_CODEC_ID = 7;
const FRAME_KEY = 1;
const FRAME_INTER = 2;
/**
 * AAC in FLV: SoundFormat 10, and the spec says the rate/size/type bits must read 44 kHz, 16-bit,
 * stereo for AAC whatever the real stream is (the decoder uses the AudioSpecificConfig).
 */
const AAC_FLAGS = (10 << 4) | (3 << 2) | (1 << 1) | 1;

/** The file header plus PreviousTagSize0 (always 0). */
export function flvHeader(flags: FlvHeaderFlags): Buffer {
  const b = Buffer.alloc(9 + BACK_POINTER);
  b.write('FLV', 0, 'latin1');
  b[3] = 1;
  b[4] = (flags.audio ? 0x04 : 0) | (flags.video ? 0x01 : 0);
  b.writeUInt32BE(9, 5);
  return b;
}

/** One tag with its trailing PreviousTagSize. StreamID is always 0. */
export function flvTag(type: FlvTagType, timestamp: number, body: Buffer): Buffer {
  if (body.length > MAX_DATA_SIZE) {
    throw new CorralError('FLV_DECODE', `FLV tag body of ${body.length} bytes exceeds UI24`);
  }
  const ts = timestamp >>> 0;
  const b = Buffer.alloc(TAG_HEADER + body.length + BACK_POINTER);
  b[0] = type;
  b.writeUIntBE(body.length, 1, 3);
  b.writeUIntBE(ts & 0xffffff, 4, 3);
  b[7] = ts >>> 24;
  // bytes 8..10: StreamID 0
  body.copy(b, TAG_HEADER);
  b.writeUInt32BE(TAG_HEADER + body.length, TAG_HEADER + body.length);
  return b;
}

export function avcSequenceHeaderBody(cfg: H264Config): Buffer {
  return Buffer.concat([Buffer.from([(FRAME_KEY << 4) | AVC_CODEC_ID, 0, 0, 0, 0]), cfg.avcC]);
}

export function avcNaluBody(f: VideoFrame): Buffer {
  const head = Buffer.alloc(5);
  head[0] = ((f.keyframe ? FRAME_KEY : FRAME_INTER) << 4) | AVC_CODEC_ID;
  head[1] = 1;
  head.writeIntBE(f.cts, 2, 3);
  return Buffer.concat([head, f.data]);
}

export function aacSequenceHeaderBody(cfg: AacConfig): Buffer {
  return Buffer.concat([Buffer.from([AAC_FLAGS, 0]), cfg.asc]);
}

export function aacRawBody(f: AudioFrame): Buffer {
  return Buffer.concat([Buffer.from([AAC_FLAGS, 1]), f.data]);
}

/** Writes an FLV stream from our media types: header first, then one Buffer per call. */
export class FlvWriter {
  readonly #flags: FlvHeaderFlags;

  constructor(flags: FlvHeaderFlags) {
    this.#flags = flags;
  }

  header(): Buffer {
    return flvHeader(this.#flags);
  }

  videoConfig(cfg: H264Config, timestamp = 0): Buffer {
    return flvTag(FLV_TAG_VIDEO, timestamp, avcSequenceHeaderBody(cfg));
  }

  audioConfig(cfg: AacConfig, timestamp = 0): Buffer {
    return flvTag(FLV_TAG_AUDIO, timestamp, aacSequenceHeaderBody(cfg));
  }

  /** `timestamp` overrides the frame's dts (callers rebase timelines for a child process). */
  frame(f: VideoFrame | AudioFrame, timestamp = f.dts): Buffer {
    return f.type === 'video'
      ? flvTag(FLV_TAG_VIDEO, timestamp, avcNaluBody(f))
      : flvTag(FLV_TAG_AUDIO, timestamp, aacRawBody(f));
  }
}

export interface FlvReaderOptions {
  /** Largest tag body accepted; a bigger announced size is garbage or hostile. Default 16 MiB. */
  maxTagSize?: number;
}

function garbage(msg: string): never {
  throw new CorralError('FLV_DECODE', msg);
}

/**
 * Streaming FLV parser: push arbitrary chunks, get whole tags back. Input is queued as chunks and
 * joined only when a tag is complete, so a large keyframe arriving in many pipe reads costs one
 * copy. Everything that cannot be FLV (bad signature, unknown tag type, oversized tag, a back
 * pointer that does not match) throws FLV_DECODE: the caller's stream is broken, not recoverable.
 */
export class FlvReader {
  readonly #maxTagSize: number;
  #chunks: Buffer[] = [];
  #length = 0;
  #headerDone = false;
  /** Header flags once the file header has been read. */
  flags: FlvHeaderFlags | undefined;

  constructor(opts: FlvReaderOptions = {}) {
    this.#maxTagSize = Math.min(opts.maxTagSize ?? 16 << 20, MAX_DATA_SIZE);
  }

  /** Bytes queued but not yet part of a complete tag (bounded by the max tag size). */
  get buffered(): number {
    return this.#length;
  }

  /**
   * `lent`: the chunk is valid only during this call (a shared read buffer). Every tag body is
   * then returned as a copy of its own exact size (nothing it is cut from is kept alive with it),
   * and a partial tag left over is kept as a copy.
   */
  push(chunk: Buffer, lent = false): FlvTag[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#length += chunk.length;
    }
    const out: FlvTag[] = [];
    if (this.#headerDone || this.#readHeader()) this.#readTags(out, lent);
    if (lent && this.#length > 0) {
      const last = this.#chunks.length - 1;
      if (this.#chunks[last]!.buffer === chunk.buffer) this.#chunks[last] = Buffer.from(this.#chunks[last]!);
    }
    return out;
  }

  #readTags(out: FlvTag[], lent: boolean): void {
    while (this.#length >= TAG_HEADER) {
      const head = this.#peek(TAG_HEADER);
      const type = head[0]!;
      // Filter/encryption bits (0x20/0xc0) are never set by ffmpeg; treat them as garbage too.
      if (type !== FLV_TAG_AUDIO && type !== FLV_TAG_VIDEO && type !== FLV_TAG_SCRIPT) {
        garbage(`FLV tag type ${type} is not audio, video or script data`);
      }
      const size = head.readUIntBE(1, 3);
      if (size > this.#maxTagSize) garbage(`FLV tag of ${size} bytes exceeds limit ${this.#maxTagSize}`);
      if (head.readUIntBE(8, 3) !== 0) garbage('FLV tag StreamID is not 0');
      const total = TAG_HEADER + size + BACK_POINTER;
      if (this.#length < total) break;
      const whole = this.#take(total);
      const back = whole.readUInt32BE(TAG_HEADER + size);
      if (back !== TAG_HEADER + size) garbage(`FLV PreviousTagSize ${back} != ${TAG_HEADER + size}`);
      const timestamp = (whole.readUIntBE(4, 3) | (whole[7]! << 24)) >>> 0;
      const body = whole.subarray(TAG_HEADER, TAG_HEADER + size);
      out.push({
        type: type as FlvTagType,
        timestamp,
        body: lent ? Buffer.from(body) : body,
      });
    }
  }

  #readHeader(): boolean {
    if (this.#length < 9) {
      // Reject early on a wrong signature, so garbage fails at its first bytes.
      const have = this.#peek(Math.min(this.#length, 3)).toString('latin1');
      if (!'FLV'.startsWith(have)) garbage('not an FLV stream (bad signature)');
      return false;
    }
    const h = this.#peek(9);
    if (h.toString('latin1', 0, 3) !== 'FLV') garbage('not an FLV stream (bad signature)');
    if (h[3] !== 1) garbage(`FLV version ${h[3]} is not 1`);
    const offset = h.readUInt32BE(5);
    // Header size is 9 in every FLV 1 file; a larger one could make us skip unbounded bytes.
    if (offset < 9 || offset > 64) garbage(`FLV DataOffset ${offset} out of range`);
    if (this.#length < offset + BACK_POINTER) return false;
    this.flags = { audio: (h[4]! & 0x04) !== 0, video: (h[4]! & 0x01) !== 0 };
    this.#take(offset + BACK_POINTER);
    this.#headerDone = true;
    return true;
  }

  /** The first n queued bytes (n <= queued), joining chunks only when needed. */
  #peek(n: number): Buffer {
    const first = this.#chunks[0];
    if (first && first.length >= n) return first.subarray(0, n);
    const joined = Buffer.concat(this.#chunks, this.#length);
    this.#chunks = [joined];
    return joined.subarray(0, n);
  }

  #take(n: number): Buffer {
    const b = this.#peek(n);
    const first = this.#chunks[0]!;
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#length -= n;
    return b;
  }
}
