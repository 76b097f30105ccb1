import type { PartMedia } from './parts.js';
import type { SegmentMedia, SegmenterOptions } from './segmenter.js';

/**
 * What sets one rendition apart from another: where it cuts, which number each segment gets,
 * and who hears about what it published. The rendition does the muxing, listing and pushing
 * the same way for every role and asks its role at each of these decisions.
 */
export interface RenditionRole {
  /** For logs and tests only; behaviour comes from the methods. */
  readonly kind: 'leader' | 'follower' | 'audio';
  /** Multivariant order: players start on the first entry. */
  readonly rank: number;
  /** Made by a transcoder, so it leaves the multivariant playlist when the transcoder drops it. */
  readonly transcoded: boolean;
  /** Cuts LL-HLS parts from its own frames (the audio-only rendition gets the leader's). */
  readonly cutsParts: boolean;
  /** How the segmenter finds cut points; undefined: on its own keyframes at the target. */
  follow(): SegmenterOptions['follow'];
  /** The open segment starts at `startPts`: the number it will carry, when already known. */
  segmentOpened(startPts: number, nextSeq: number): number | undefined;
  /** A finished segment: the number to list it under, or undefined to drop it. */
  numberFor(media: SegmentMedia, nextSeq: number): number | undefined;
  /** The publisher left and `media` is the session's last segment. */
  sessionFlushed(media: SegmentMedia): void;
  partPublished(media: PartMedia, msn: number): void;
  segmentPublished(media: SegmentMedia, sequence: number): void;
  /** What of another rendition's media this one packages; undefined when nothing. */
  carry(media: SegmentMedia): SegmentMedia | undefined;
}

/** Renditions align on presentation time: a source with B-frames has dts = pts - cts. */
export function startPts(media: SegmentMedia): number {
  const first = media.video[0];
  return first ? first.dts + first.cts : media.startMs;
}
