import type { AudioFrame, VideoFrame } from '../media/types.js';
import type { SegmentMedia, TimedVideoFrame } from './segmenter.js';

/** One LL-HLS partial segment's media, ms on the stream timeline. */
export interface PartMedia extends SegmentMedia {
  /**
   * Set on a segment's last part: the frame that closed it also cut the segment ('segment'), or
   * the publisher left ('session'). Renditions mirroring the part need to know it as well.
   */
  closes?: 'segment' | 'session';
}

/**
 * Splits the open segment into LL-HLS parts as frames arrive. A part closes when the next
 * frame would take it past the part target (the spec requires every part's duration to be at
 * most PART-TARGET), or when the segment itself is cut. Pure: frames in, parts out.
 *
 * A frame lasts until the next one, so taking a frame in ends the part one frame later. The
 * part's own frames so far tell how long a frame is: at 25 fps a 0.334 s part holds 8 frames
 * (320 ms), since a ninth would end it at 360 ms.
 */
export class PartBuilder {
  readonly #targetMs: number;
  readonly #hasVideo: boolean;
  #video: VideoFrame[] = [];
  #audio: AudioFrame[] = [];
  #startMs: number | undefined;
  /** Frames in the open part that drive it (video, or audio when there is no video). */
  #driving = 0;

  constructor(targetMs: number, hasVideo: boolean) {
    this.#targetMs = targetMs;
    this.#hasVideo = hasVideo;
  }

  /** Add a frame of the open segment; returns the part it closed, if any. */
  push(f: VideoFrame | AudioFrame): PartMedia | undefined {
    let closed: PartMedia | undefined;
    const drives = this.#hasVideo ? f.type === 'video' : f.type === 'audio';
    if (drives && this.#startMs !== undefined && this.#driving > 0) {
      const elapsed = f.dts - this.#startMs;
      const endWithFrame = elapsed + elapsed / this.#driving;
      // A 1 ms tolerance absorbs FLV's ms rounding (10 frames at 30 fps = 333 ms for a 334 ms target).
      if (elapsed >= this.#targetMs - 1 || endWithFrame > this.#targetMs + 1e-6) closed = this.closeAt(f.dts);
    }
    if (this.#startMs === undefined && (drives || !this.#hasVideo)) this.#startMs = f.dts;
    if (drives && this.#startMs !== undefined) this.#driving++;
    if (f.type === 'video') this.#video.push(f);
    else if (this.#startMs !== undefined) this.#audio.push(f);
    return closed;
  }

  /** Close the open part at `atMs` (a segment cut or a part boundary). */
  closeAt(atMs: number): PartMedia | undefined {
    const startMs = this.#startMs;
    if (startMs === undefined || atMs <= startMs) return undefined;
    const video: TimedVideoFrame[] = this.#video.map((f, i) => {
      const next = i + 1 < this.#video.length ? this.#video[i + 1]!.dts : atMs;
      return { ...f, duration: Math.max(0, next - f.dts) };
    });
    const audio = this.#audio.filter((a) => a.dts < atMs);
    this.#audio = this.#audio.filter((a) => a.dts >= atMs);
    this.#video = [];
    this.#startMs = atMs;
    this.#driving = 0;
    if (video.length === 0 && audio.length === 0) return undefined;
    return {
      startMs,
      durationMs: atMs - startMs,
      video,
      audio,
      independent: video[0]?.keyframe ?? !this.#hasVideo,
    };
  }

  /** The publisher left: forget the open part (the segmenter's flush closes it). */
  reset(): void {
    this.#video = [];
    this.#audio = [];
    this.#startMs = undefined;
    this.#driving = 0;
  }
}
