import { CorralError } from '../util/errors.js';
import type { AacConfig, AudioFrame, H264Config, VideoFrame } from './types.js';

/**
 * FLV tag bodies as carried by RTMP audio (8) and video (9) messages: FLV 10.1 (annex E) for
 * classic AVC/AAC, and Enhanced RTMP v2 for FourCC-signalled codecs. Only H.264 and AAC go further
 * down the pipeline; anything else is refused with CODEC_UNSUPPORTED so the broadcaster learns why.
 */

export type VideoTag =
  | { kind: 'config'; config: H264Config }
  | { kind: 'frame'; frame: VideoFrame }
  | { kind: 'ignore'; why: string };

export type AudioTag =
  | { kind: 'config'; config: AacConfig }
  | { kind: 'frame'; frame: AudioFrame }
  | { kind: 'ignore'; why: string };

const VIDEO_CODECS: Record<number, string> = {
  1: 'JPEG',
  2: 'Sorenson H.263',
  3: 'Screen video',
  4: 'On2 VP6',
  5: 'On2 VP6 with alpha',
  6: 'Screen video v2',
  7: 'AVC',
  12: 'HEVC (legacy codec id 12)',
  13: 'AV1 (legacy codec id 13)',
};

const VIDEO_FOURCC: Record<string, string> = {
  avc1: 'H.264',
  hvc1: 'HEVC',
  av01: 'AV1',
  vp09: 'VP9',
  vp08: 'VP8',
};

const AUDIO_FORMATS: Record<number, string> = {
  0: 'Linear PCM (platform endian)',
  1: 'ADPCM',
  2: 'MP3',
  3: 'Linear PCM (little endian)',
  4: 'Nellymoser 16 kHz',
  5: 'Nellymoser 8 kHz',
  6: 'Nellymoser',
  7: 'G.711 A-law',
  8: 'G.711 mu-law',
  11: 'Speex',
  14: 'MP3 8 kHz',
  15: 'device-specific sound',
};

const AUDIO_FOURCC: Record<string, string> = {
  mp4a: 'AAC',
  Opus: 'Opus',
  fLaC: 'FLAC',
  'ac-3': 'AC-3',
  'ec-3': 'E-AC-3',
  '.mp3': 'MP3',
};

const VIDEO_FRAME_KEY = 1;
/** "Generated keyframe" (server-side seek point) is still a random access point. */
const VIDEO_FRAME_GENERATED_KEY = 4;
const VIDEO_FRAME_COMMAND = 5;

const EX_VIDEO = {
  sequenceStart: 0,
  codedFrames: 1,
  sequenceEnd: 2,
  codedFramesX: 3,
  metadata: 4,
  mpeg2tsSequenceStart: 5,
  multitrack: 6,
  modEx: 7,
} as const;

const SOUND_FORMAT_EX_HEADER = 9;
const SOUND_FORMAT_AAC = 10;

function unsupported(what: string): never {
  throw new CorralError('CODEC_UNSUPPORTED', `${what} is not supported (this server takes H.264 and AAC)`, {
    recoverable: false,
  });
}

function truncated(what: string, len: number): never {
  throw new CorralError('FLV_DECODE', `${what} truncated (${len} bytes)`);
}

function si24(buf: Buffer, off: number): number {
  return buf.readIntBE(off, 3);
}

function printableFourCC(buf: Buffer, off: number): string {
  const s = buf.toString('latin1', off, off + 4);
  return /^[\x20-\x7e]{4}$/.test(s) ? s : `0x${buf.toString('hex', off, off + 4)}`;
}

/**
 * A frame's `data` is a view into `body`, not a copy: an RTMP message payload is a buffer of its
 * own, exactly the message, so a copy per frame would be pure cost. A caller whose `body` is a
 * view into a larger buffer it does not want kept alive (a pipe read) copies. Decoder
 * configurations are copied: they outlive many frames and are tiny.
 */
export function parseVideoTag(body: Buffer, timestamp: number): VideoTag {
  // An empty video message is what some encoders send as a keep-alive.
  if (body.length === 0) return { kind: 'ignore', why: 'empty video message' };
  const b0 = body[0]!;
  if (b0 & 0x80) return parseExVideo(body, timestamp);

  const frameType = b0 >> 4;
  const codecId = b0 & 0x0f;
  if (codecId !== 7) unsupported(`video codec ${VIDEO_CODECS[codecId] ?? `id ${codecId}`}`);
  if (frameType === VIDEO_FRAME_COMMAND) return { kind: 'ignore', why: 'video info/command frame' };
  if (body.length < 5) truncated('AVC video tag', body.length);
  const packetType = body[1]!;
  const cts = si24(body, 2);
  return avc(packetType, frameType, cts, body.subarray(5), timestamp);
}

function avc(packetType: number, frameType: number, cts: number, data: Buffer, dts: number): VideoTag {
  switch (packetType) {
    case 0:
      if (data.length < 7) truncated('AVC sequence header', data.length);
      return { kind: 'config', config: { codec: 'h264', avcC: Buffer.from(data) } };
    case 1:
      return {
        kind: 'frame',
        frame: {
          type: 'video',
          dts,
          cts,
          keyframe: frameType === VIDEO_FRAME_KEY || frameType === VIDEO_FRAME_GENERATED_KEY,
          data,
        },
      };
    case 2:
      return { kind: 'ignore', why: 'AVC end of sequence' };
    default:
      throw new CorralError('FLV_DECODE', `unknown AVC packet type ${packetType}`);
  }
}

function parseExVideo(body: Buffer, timestamp: number): VideoTag {
  const frameType = (body[0]! >> 4) & 0x07;
  const packetType = body[0]! & 0x0f;
  if (packetType === EX_VIDEO.multitrack) unsupported('Enhanced RTMP multitrack video');
  if (packetType === EX_VIDEO.modEx) unsupported('Enhanced RTMP ModEx video packets');
  if (body.length < 5) truncated('Enhanced RTMP video tag', body.length);
  const fourcc = printableFourCC(body, 1);
  if (fourcc !== 'avc1') unsupported(`video codec ${VIDEO_FOURCC[fourcc] ?? 'unknown'} (FourCC ${fourcc})`);
  // A command frame carries a one-byte command after the FourCC and no media.
  if (frameType === VIDEO_FRAME_COMMAND && packetType !== EX_VIDEO.metadata) {
    return { kind: 'ignore', why: 'video command frame' };
  }
  const rest = body.subarray(5);
  switch (packetType) {
    case EX_VIDEO.sequenceStart:
      return avc(0, frameType, 0, rest, timestamp);
    case EX_VIDEO.codedFrames:
      if (rest.length < 3) truncated('Enhanced RTMP coded frames', body.length);
      return avc(1, frameType, si24(rest, 0), rest.subarray(3), timestamp);
    case EX_VIDEO.codedFramesX:
      return avc(1, frameType, 0, rest, timestamp);
    case EX_VIDEO.sequenceEnd:
      return { kind: 'ignore', why: 'end of sequence' };
    case EX_VIDEO.metadata:
      return { kind: 'ignore', why: 'video metadata (HDR colour info)' };
    case EX_VIDEO.mpeg2tsSequenceStart:
      return { kind: 'ignore', why: 'MPEG-2 TS sequence start' };
    default:
      throw new CorralError('FLV_DECODE', `unknown Enhanced RTMP video packet type ${packetType}`);
  }
}

/** As parseVideoTag: a frame's `data` is a view into `body`. */
export function parseAudioTag(body: Buffer, timestamp: number): AudioTag {
  if (body.length === 0) return { kind: 'ignore', why: 'empty audio message' };
  const format = body[0]! >> 4;
  if (format === SOUND_FORMAT_EX_HEADER) return parseExAudio(body, timestamp);
  if (format !== SOUND_FORMAT_AAC) unsupported(`audio codec ${AUDIO_FORMATS[format] ?? `id ${format}`}`);
  if (body.length < 2) truncated('AAC audio tag', body.length);
  return aac(body[1]!, body.subarray(2), timestamp);
}

function aac(packetType: number, data: Buffer, dts: number): AudioTag {
  switch (packetType) {
    case 0:
      if (data.length < 2) truncated('AAC sequence header', data.length);
      return { kind: 'config', config: { codec: 'aac', asc: Buffer.from(data) } };
    case 1:
      return { kind: 'frame', frame: { type: 'audio', dts, data } };
    default:
      throw new CorralError('FLV_DECODE', `unknown AAC packet type ${packetType}`);
  }
}

function parseExAudio(body: Buffer, timestamp: number): AudioTag {
  const packetType = body[0]! & 0x0f;
  // Multitrack (5) and ModEx (7) put other fields before the FourCC.
  if (packetType === 5) unsupported('Enhanced RTMP multitrack audio');
  if (packetType === 7) unsupported('Enhanced RTMP ModEx audio packets');
  if (body.length < 5) truncated('Enhanced RTMP audio tag', body.length);
  const fourcc = printableFourCC(body, 1);
  if (fourcc !== 'mp4a') unsupported(`audio codec ${AUDIO_FOURCC[fourcc] ?? 'unknown'} (FourCC ${fourcc})`);
  const rest = body.subarray(5);
  switch (packetType) {
    case 0:
      return aac(0, rest, timestamp);
    case 1:
      return aac(1, rest, timestamp);
    case 2:
      return { kind: 'ignore', why: 'audio end of sequence' };
    case 4:
      return { kind: 'ignore', why: 'audio multichannel config' };
    default:
      throw new CorralError('FLV_DECODE', `unknown Enhanced RTMP audio packet type ${packetType}`);
  }
}

/** One sub-message of an RTMP aggregate message (type 22): an FLV tag with an absolute time. */
export interface AggregatePart {
  typeId: number;
  timestamp: number;
  body: Buffer;
}

/**
 * Split an aggregate message: a run of FLV tags (11-byte header, body, 4-byte back pointer). The
 * tags' own timestamps are relative to the first one; the message timestamp anchors them.
 */
export function splitAggregate(payload: Buffer, timestamp: number): AggregatePart[] {
  const out: AggregatePart[] = [];
  let off = 0;
  let first: number | undefined;
  while (off < payload.length) {
    if (payload.length - off < 11) truncated('aggregate tag header', payload.length - off);
    const typeId = payload[off]!;
    const size = payload.readUIntBE(off + 1, 3);
    const ts = (payload.readUIntBE(off + 4, 3) | (payload[off + 7]! << 24)) >>> 0;
    const end = off + 11 + size;
    if (end > payload.length) truncated('aggregate tag body', payload.length - off);
    first ??= ts;
    out.push({ typeId, timestamp: (timestamp + ts - first) >>> 0, body: payload.subarray(off + 11, end) });
    off = end + 4;
  }
  return out;
}
