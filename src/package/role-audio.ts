import type { RenditionRole } from './role.js';
import type { SegmentMedia } from './segmenter.js';

/**
 * The audio-only rendition: it never cuts anything itself. It is handed the leader's finished
 * parts and segments, under the leader's numbers, and keeps their audio.
 */
export class AudioRole implements RenditionRole {
  readonly kind = 'audio';
  /** Last: a player starting on an audio-only entry would show no picture. */
  readonly rank = 2;
  readonly transcoded = false;
  readonly cutsParts = false;

  follow(): undefined {
    return undefined;
  }

  segmentOpened(): undefined {
    return undefined;
  }

  /** Its own frames are never cut into segments, so nothing it cut gets a number. */
  numberFor(): undefined {
    return undefined;
  }

  sessionFlushed(): void {}

  partPublished(): void {}

  segmentPublished(): void {}

  /** Every AAC frame is a sync sample, so any audio part is independent. */
  carry(media: SegmentMedia): SegmentMedia | undefined {
    if (media.audio.length === 0) return undefined;
    return { ...media, video: [], independent: true };
  }
}
