/**
 * The one media path: whoever produced the media (a passthrough RTMP publisher or an ffmpeg
 * transcoder), it reaches the packager as these access units. Timestamps are milliseconds, the
 * unit RTMP and FLV carry; the packager converts to track timescales.
 */

/** AVC decoder configuration as sent in the FLV AVC sequence header (ISO/IEC 14496-15 avcC). */
export interface H264Config {
  codec: 'h264';
  /** The raw AVCDecoderConfigurationRecord bytes. */
  avcC: Buffer;
}

/** AAC configuration as sent in the FLV AAC sequence header (ISO/IEC 14496-3 AudioSpecificConfig). */
export interface AacConfig {
  codec: 'aac';
  /** The raw AudioSpecificConfig bytes. */
  asc: Buffer;
}

export interface VideoFrame {
  type: 'video';
  /** Decode timestamp in ms. */
  dts: number;
  /** Composition time offset in ms (pts = dts + cts); non-zero with B-frames. */
  cts: number;
  keyframe: boolean;
  /** NAL units, each prefixed by its length (lengthSizeMinusOne+1 bytes from the avcC), as in FLV. */
  data: Buffer;
}

export interface AudioFrame {
  type: 'audio';
  /** Decode (= presentation) timestamp in ms. */
  dts: number;
  /** One raw AAC access unit (no ADTS header). */
  data: Buffer;
}

export type MediaFrame = VideoFrame | AudioFrame;

/**
 * Where a producer delivers one live stream's media. Calls are synchronous and in order; a
 * config call may repeat mid-stream (the encoder changed parameters).
 */
export interface StreamSink {
  videoConfig(cfg: H264Config): void;
  audioConfig(cfg: AacConfig): void;
  frame(f: MediaFrame): void;
  /** The producer is gone (clean unpublish or dropped connection). No calls follow. */
  end(reason: 'unpublish' | 'disconnect' | 'error'): void;
}
