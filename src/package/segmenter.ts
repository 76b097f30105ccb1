import type { AudioFrame, VideoFrame } from '../media/types.js';

/** A video frame with its duration known (the next frame's dts minus its own), in ms. */
export interface TimedVideoFrame extends VideoFrame {
  duration: number;
}

/** A finished segment's media, in ms on the stream's timeline. */
export interface SegmentMedia {
  startMs: number;
  durationMs: number;
  video: TimedVideoFrame[];
  audio: AudioFrame[];
  /** Starts with a keyframe; false only when a broken GOP forced a cut. */
  independent: boolean;
}

export interface SegmenterOptions {
  /** Aim for segments this long; cuts happen at the first keyframe at or after it. */
  targetMs: number;
  /** Cut even without a keyframe once a segment would get this long (broken GOP guard). */
  maxMs: number;
  /**
   * Follow another rendition's cuts instead of the target: cut at the first keyframe at or
   * after the next cut the leader made (returns undefined while the leader has not cut yet).
   */
  follow?: { nextCutAfter(ms: number): number | undefined; toleranceMs: number };
}

/**
 * Cuts one session's frames into segments. Pure: frames in, segments out, no clock, no I/O.
 * Video drives the cuts (segments must start on keyframes so any viewer can join or switch
 * there); audio-only streams are cut by duration. A keyframe that arrives a few ms early
 * because of ms rounding still counts as on target (the 1 s GOP case), hence the tolerance.
 */
export class Segmenter {
  readonly #opts: SegmenterOptions;
  readonly #hasVideo: boolean;
  #video: VideoFrame[] = [];
  #audio: AudioFrame[] = [];
  #startMs: number | undefined;
  /** Presentation time of the segment's first frame: what renditions align on (B-frames shift dts). */
  #startPts = 0;
  #firstStartMs = 0;
  #independent = true;
  /** Set once the first segment closed: later segments must stay within it once rounded. */
  #limitMs: number;

  constructor(opts: SegmenterOptions, hasVideo: boolean) {
    this.#opts = opts;
    this.#hasVideo = hasVideo;
    this.#limitMs = opts.maxMs;
  }

  /** Longest duration a segment may reach: EXTINF rounded to an integer must not exceed the target duration. */
  limitTo(targetDurationS: number): void {
    this.#limitMs = Math.min(this.#opts.maxMs, targetDurationS * 1000 + 499);
  }

  /** Feed one frame; returns the segment it closed, if any. */
  push(f: VideoFrame | AudioFrame): SegmentMedia | undefined {
    if (f.type === 'video') return this.#pushVideo(f);
    return this.#pushAudio(f);
  }

  #pushVideo(f: VideoFrame): SegmentMedia | undefined {
    if (this.#startMs === undefined) {
      // Nothing before the first keyframe is decodable; audio before it is dropped with it.
      if (!f.keyframe) return undefined;
      this.#start(f.dts);
      this.#startPts = f.dts + f.cts;
      this.#audio = this.#audio.filter((a) => a.dts >= f.dts);
      this.#video.push(f);
      return undefined;
    }
    const elapsed = f.dts - this.#startMs;
    const tolerance = Math.min(50, this.#opts.targetMs / 10);
    let closed: SegmentMedia | undefined;
    const follow = this.#opts.follow;
    let onCut: boolean;
    if (follow) {
      const next = follow.nextCutAfter(this.#startPts);
      onCut = next !== undefined && f.dts + f.cts >= next - follow.toleranceMs;
    } else {
      onCut = elapsed >= this.#opts.targetMs - tolerance;
    }
    if (f.keyframe && onCut) {
      closed = this.#cut(f.dts, true);
    } else if (elapsed + 1.5 * this.#lastStep(f.dts) > this.#limitMs) {
      // Cutting here keeps this segment within the limit; one more frame (with jitter) might not.
      closed = this.#cut(f.dts, f.keyframe);
    }
    if (closed) this.#startPts = f.dts + f.cts;
    this.#video.push(f);
    return closed;
  }

  #pushAudio(f: AudioFrame): SegmentMedia | undefined {
    if (this.#hasVideo) {
      // Held until video starts a segment; bounded because video arrives interleaved.
      if (this.#startMs === undefined) {
        this.#audio.push(f);
        if (this.#audio.length > 512) this.#audio.shift();
        return undefined;
      }
      // Audio stamped before the first video frame has no picture to go with.
      if (f.dts < this.#firstStartMs) return undefined;
      // Video stopped but audio goes on (a camera switched off): once audio runs a second past
      // the limit (so ordinary audio-ahead interleaving never triggers it), cut on audio at the
      // target, keeping the buffer bounded and listeners hearing it; the next keyframe resumes.
      this.#audio.push(f);
      if (f.dts - this.#startMs <= this.#limitMs + 1000) return undefined;
      const at = this.#audio.find((a) => a.dts >= this.#startMs! + this.#opts.targetMs) ?? f;
      return this.#cut(at.dts, false);
    }
    if (this.#startMs === undefined) this.#start(f.dts);
    let closed: SegmentMedia | undefined;
    if (f.dts - this.#startMs! >= this.#opts.targetMs) closed = this.#cut(f.dts, true);
    this.#audio.push(f);
    return closed;
  }

  #lastStep(dts: number): number {
    const prev = this.#video[this.#video.length - 1];
    return prev ? Math.max(0, dts - prev.dts) : 0;
  }

  #start(dts: number): void {
    this.#startMs = dts;
    this.#firstStartMs = dts;
  }

  /** Close the current segment at `atMs`; the frame at `atMs` begins the next one. */
  #cut(atMs: number, nextIndependent: boolean): SegmentMedia {
    const startMs = this.#startMs!;
    const video = timeVideo(this.#video, atMs);
    // Audio that arrived ahead of the cutting video frame belongs to the next segment.
    const audio = this.#audio.filter((a) => a.dts < atMs);
    const carried = this.#audio.filter((a) => a.dts >= atMs);
    const seg: SegmentMedia = {
      startMs,
      durationMs: atMs - startMs,
      video,
      audio,
      independent: this.#independent,
    };
    this.#video = [];
    this.#audio = carried;
    this.#startMs = atMs;
    this.#independent = nextIndependent;
    return seg;
  }

  /** Close whatever is buffered (the publisher left). */
  flush(): SegmentMedia | undefined {
    if (this.#startMs === undefined) return undefined;
    let endMs: number;
    if (this.#hasVideo) {
      if (this.#video.length === 0) return undefined;
      const last = this.#video[this.#video.length - 1]!;
      endMs = last.dts + typicalFrameMs(this.#video);
    } else {
      if (this.#audio.length === 0) return undefined;
      const last = this.#audio[this.#audio.length - 1]!;
      endMs = last.dts + typicalFrameMs(this.#audio);
    }
    const seg = this.#cut(endMs, true);
    this.#startMs = undefined;
    this.#audio = [];
    return seg.durationMs > 0 ? seg : undefined;
  }

  /** Presentation time where the open segment starts (undefined before the first keyframe). */
  get openStartPts(): number | undefined {
    return this.#startMs === undefined ? undefined : this.#startPts;
  }

  /** Frames currently buffered, for memory accounting. */
  bufferedFrames(): number {
    return this.#video.length + this.#audio.length;
  }
}

function timeVideo(frames: VideoFrame[], endMs: number): TimedVideoFrame[] {
  return frames.map((f, i) => {
    const next = i + 1 < frames.length ? frames[i + 1]!.dts : endMs;
    return { ...f, duration: Math.max(0, next - f.dts) };
  });
}

function typicalFrameMs(frames: Array<{ dts: number }>): number {
  if (frames.length < 2) return 33;
  const span = frames[frames.length - 1]!.dts - frames[0]!.dts;
  return Math.max(1, Math.round(span / (frames.length - 1)));
}
