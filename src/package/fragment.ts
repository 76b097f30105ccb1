import type { SegmentMedia } from './segmenter.js';
import type { SessionTracks } from './tracks.js';
import { AUDIO_TRACK_ID, VIDEO_TIMESCALE, VIDEO_TRACK_ID } from './tracks.js';
import { writeMediaSegment, type TrackFragment } from '../media/index.js';

/**
 * Turns segmenter output into a CMAF media segment. Video times convert exactly (ms x 90);
 * audio runs on its own sample clock, so AAC frame durations stay exact (1024 samples) instead
 * of inheriting the ms rounding of FLV timestamps; it re-anchors only when the publisher's
 * timestamps jump (a gap or a reconnect).
 */
export class AudioClock {
  #next: number | undefined;
  constructor(
    private readonly sampleRate: number,
    private readonly samplesPerFrame: number,
  ) {}

  /** Decode time (in samples) for a frame stamped `ms`. */
  place(ms: number): number {
    const actual = Math.round((ms * this.sampleRate) / 1000);
    if (this.#next === undefined || Math.abs(actual - this.#next) > 2 * this.samplesPerFrame) {
      this.#next = actual;
    }
    const t = this.#next;
    this.#next += this.samplesPerFrame;
    return t;
  }

  reset(): void {
    this.#next = undefined;
  }
}

export function buildSegment(
  seq: number,
  media: SegmentMedia,
  tracks: SessionTracks,
  audioClock: AudioClock | undefined,
  alloc?: (size: number) => Buffer,
): Buffer {
  const fragments: TrackFragment[] = [];
  if (tracks.video && media.video.length > 0) {
    fragments.push({
      trackId: VIDEO_TRACK_ID,
      baseMediaDecodeTime: Math.round(media.video[0]!.dts * (VIDEO_TIMESCALE / 1000)),
      samples: media.video.map((f) => ({
        duration: Math.round(f.duration * (VIDEO_TIMESCALE / 1000)),
        cts: Math.round(f.cts * (VIDEO_TIMESCALE / 1000)),
        keyframe: f.keyframe,
        data: f.data,
      })),
    });
  }
  if (tracks.audio && audioClock && media.audio.length > 0) {
    const spf = tracks.audio.samplesPerFrame;
    let base = -1;
    const samples = media.audio.map((f) => {
      const t = audioClock.place(f.dts);
      if (base < 0) base = t;
      return { duration: spf, cts: 0, keyframe: true, data: f.data };
    });
    fragments.push({ trackId: AUDIO_TRACK_ID, baseMediaDecodeTime: base, samples });
  }
  return writeMediaSegment({ sequenceNumber: seq, fragments }, alloc);
}
