import type { CutLog } from './cut-log.js';
import type { PartMedia } from './parts.js';
import type { RenditionRole } from './role.js';
import type { SegmentMedia } from './segmenter.js';

/** Hears every part and segment the leader publishes (the audio-only rendition repackages them). */
export interface LeaderListener {
  part(media: PartMedia, msn: number): void;
  segment(media: SegmentMedia, sequence: number): void;
}

/**
 * The passthrough: cuts on its own keyframes and records each cut, so every other rendition
 * cuts at the same instants under the same numbers. It numbers every segment it cuts, even one
 * that had to be dropped, so the numbering never depends on the origin keeping up.
 */
export class LeaderRole implements RenditionRole {
  readonly kind = 'leader';
  readonly rank = 0;
  readonly transcoded = false;
  readonly cutsParts = true;
  readonly #cuts: CutLog;
  readonly #listener: LeaderListener | undefined;
  #seq = 0;

  constructor(cuts: CutLog, listener?: LeaderListener) {
    this.#cuts = cuts;
    this.#listener = listener;
  }

  follow(): undefined {
    return undefined;
  }

  /**
   * Announced at the start: followers reach the same keyframe within their transcoding delay,
   * well before the leader closes the segment a target duration later.
   */
  segmentOpened(startPts: number): number {
    this.#cuts.record({ startMs: startPts, sequence: this.#seq });
    return this.#seq;
  }

  numberFor(): number {
    return this.#seq++;
  }

  sessionFlushed(media: SegmentMedia): void {
    this.#cuts.close(media.durationMs);
  }

  partPublished(media: PartMedia, msn: number): void {
    this.#listener?.part(media, msn);
  }

  segmentPublished(media: SegmentMedia, sequence: number): void {
    this.#listener?.segment(media, sequence);
  }

  carry(media: SegmentMedia): SegmentMedia {
    return media;
  }
}
