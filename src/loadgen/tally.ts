import { newHistogram } from './histogram.js';

/** What a request was for: each kind has its own counts, and the media kinds their latencies. */
export const KINDS = ['multivariant', 'playlist', 'blocking', 'init', 'segment', 'part', 'hint'] as const;
export type Kind = (typeof KINDS)[number];

function perKind(): Record<Kind, number> {
  return Object.fromEntries(KINDS.map((k) => [k, 0])) as Record<Kind, number>;
}

/**
 * One worker's cumulative counters: plain numbers and arrays, so a snapshot is a structured clone
 * and the main thread merges workers by adding.
 */
export interface Tally {
  requests: Record<Kind, number>;
  failed: Record<Kind, number>;
  bytes: number;
  /** Failures by HTTP status, or by error code when there was no response. */
  errors: Record<string, number>;
  /**
   * Preload hints answered 404: the server hinted a part that was never made because the segment
   * ended first. A player simply moves on; not a failure.
   */
  hintsUnfulfilled: number;
  /** This tier's own result in X-Cache ("edge HIT" -> HIT), for media requests. */
  edgeResults: Record<string, number>;
  segmentMs: number[];
  partMs: number[];
  /** Blocking reloads and preload-hint fetches wait for the server on purpose: kept apart. */
  blockingMs: number[];
  playlistMs: number[];
  /** Time a request waited for a pooled socket: the load generator's own queueing. */
  queueMs: number[];
}

export function newTally(): Tally {
  return {
    requests: perKind(),
    failed: perKind(),
    bytes: 0,
    errors: {},
    hintsUnfulfilled: 0,
    edgeResults: {},
    segmentMs: newHistogram(),
    partMs: newHistogram(),
    blockingMs: newHistogram(),
    playlistMs: newHistogram(),
    queueMs: newHistogram(),
  };
}
