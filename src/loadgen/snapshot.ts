import type { Tally } from './tally.js';
import type { ViewerPhase } from './viewer.js';

/** What one worker reports every second (cumulative except where noted). Structured-clonable. */
export interface Snapshot {
  worker: number;
  atWall: number;
  phases: Record<ViewerPhase, number>;
  /** Viewers that have arrived, by player kind. */
  arrived: { ll: number; plain: number };
  /** Viewers that ever started playing. */
  startedPlaying: number;
  tally: Tally;
  media: { plainSegments: number; llSegments: number; llParts: number; failed: number; skipped: number };
  rebuffers: number;
  viewersWithRebuffers: number;
  stallS: number;
  switches: number;
  /** Current rung of every arrived viewer still following the stream. */
  rungs: Record<string, number>;
  failures: Record<string, number>;
  /** CPU seconds the worker's thread used since it started (undefined off Linux). */
  cpuS: number | undefined;
  /** Share of wall time the worker's event loop was busy, over the last interval and overall. */
  elu: number;
  eluAll: number;
  /** Event-loop delay over the last interval and overall, ms. */
  lagP99Ms: number;
  lagAllP99Ms: number;
  lagAllMaxMs: number;
  sockets: number;
}

/** Sent once when a worker stops: everything not worth sending every second. */
export interface Final {
  snapshot: Snapshot;
  /** Media paths the edge fetched upstream (its own result MISS), with how many times. */
  edgeMisses: Array<[string, number]>;
  objects: string[];
  /** Per media playlist path: the segment being built when first and last read. */
  edges: Array<[string, { first: number; last: number }]>;
}

export type ToWorker = { type: 'start'; t0Wall: number } | { type: 'stop' };
export type FromWorker =
  { type: 'ready' } | { type: 'snapshot'; snapshot: Snapshot } | { type: 'final'; final: Final };
