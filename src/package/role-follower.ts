import type { CutLog } from './cut-log.js';
import { startPts, type RenditionRole } from './role.js';
import type { SegmentMedia, SegmenterOptions } from './segmenter.js';

/**
 * A transcoded rendition: cuts where the leader cut and lists a segment only under the
 * leader's number for that instant. Anything else (a transcoder warming up mid-GOP, or
 * restarted behind the numbering) would break alignment, so it is dropped.
 */
export class FollowerRole implements RenditionRole {
  readonly kind = 'follower';
  readonly rank = 1;
  readonly transcoded = true;
  readonly cutsParts = true;
  readonly #cuts: CutLog;

  constructor(cuts: CutLog) {
    this.#cuts = cuts;
  }

  follow(): SegmenterOptions['follow'] {
    const cuts = this.#cuts;
    return { nextCutAfter: (ms) => cuts.nextAfter(ms)?.startMs, toleranceMs: cuts.toleranceMs };
  }

  segmentOpened(start: number, nextSeq: number): number | undefined {
    return this.#usable(start, nextSeq);
  }

  numberFor(media: SegmentMedia, nextSeq: number): number | undefined {
    return this.#usable(startPts(media), nextSeq);
  }

  #usable(ms: number, nextSeq: number): number | undefined {
    const cut = this.#cuts.at(ms);
    return cut && cut.sequence >= nextSeq ? cut.sequence : undefined;
  }

  sessionFlushed(): void {}

  partPublished(): void {}

  segmentPublished(): void {}

  carry(media: SegmentMedia): SegmentMedia {
    return media;
  }
}
