/** Inputs of the fragmented MP4 writers. */

export type TrackInfo =
  | {
      kind: 'video';
      id: number;
      timescale: number;
      /** Raw AVCDecoderConfigurationRecord, copied verbatim into the avcC box. */
      avcC: Buffer;
      width: number;
      height: number;
    }
  | {
      kind: 'audio';
      id: number;
      timescale: number;
      /** Raw AudioSpecificConfig, carried as the esds DecoderSpecificInfo. */
      asc: Buffer;
      channels: number;
      sampleRate: number;
    };

export interface Sample {
  /** In track timescale units. */
  duration: number;
  /** Composition offset (pts - dts) in track timescale units; may be negative. */
  cts: number;
  /** Sync sample. Pass true for every audio sample. */
  keyframe: boolean;
  /** For video, length-prefixed NAL units (the avcC's lengthSize); for audio, one raw AAC frame. */
  data: Buffer;
}

export interface TrackFragment {
  trackId: number;
  /** Decode time of the first sample, in track timescale units (may exceed 2^32). */
  baseMediaDecodeTime: number;
  samples: Sample[];
}

export interface MediaSegmentOptions {
  sequenceNumber: number;
  fragments: TrackFragment[];
  /** Prefix the segment with an styp box. */
  styp?: boolean;
}
