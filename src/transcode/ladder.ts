import type { TranscodeConfig } from '../config/schema.js';

/** One transcoded rendition: what ffmpeg is asked to produce for it. */
export interface Rung {
  /** '720p': also the rendition's name in playlists and paths. */
  name: string;
  width: number;
  height: number;
  videoKbps: number;
}

export type LadderConfig = TranscodeConfig['ladder'];

/** The default ladder (also the schema default); audio-only and passthrough come from elsewhere. */
export const DEFAULT_LADDER: LadderConfig = [
  { height: 1080, videoKbps: 5000 },
  { height: 720, videoKbps: 2800 },
  { height: 480, videoKbps: 1200 },
  { height: 360, videoKbps: 700 },
];

/** Even, because 4:2:0 chroma halves both dimensions and encoders refuse odd sizes. */
function even(n: number): number {
  return Math.max(2, Math.round(n / 2) * 2);
}

/**
 * The rungs this source gets: never upscale (a rung taller than the source is skipped; one of
 * the same height only with `sourceHeightRung`, as a bitrate-capped copy, since the passthrough
 * already is that rendition), widths keep the source's aspect ratio, sorted top first, one rung
 * per height. An empty result means passthrough only.
 */
export function planLadder(
  source: { width: number; height: number },
  rungs: LadderConfig,
  sourceHeightRung = false,
): Rung[] {
  if (!(source.width > 0 && source.height > 0)) return [];
  const seen = new Set<number>();
  const fits = (h: number) => h < source.height || (sourceHeightRung && h === source.height);
  return [...rungs]
    .sort((a, b) => b.height - a.height)
    .filter((r) => fits(r.height) && !seen.has(r.height) && seen.add(r.height))
    .map((r) => {
      const height = even(r.height);
      return {
        name: `${r.height}p`,
        width: even((source.width * r.height) / source.height),
        height,
        videoKbps: r.videoKbps,
      };
    });
}
