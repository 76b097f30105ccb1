import { mergeInto } from './histogram.js';
import type { Snapshot } from './snapshot.js';
import { KINDS, newTally, type Tally } from './tally.js';

function addRecord(into: Record<string, number>, r: Record<string, number>): void {
  for (const [k, v] of Object.entries(r)) into[k] = (into[k] ?? 0) + v;
}

export function mergeTallies(ts: Tally[]): Tally {
  const out = newTally();
  for (const t of ts) {
    for (const k of KINDS) {
      out.requests[k] += t.requests[k];
      out.failed[k] += t.failed[k];
    }
    out.bytes += t.bytes;
    out.hintsUnfulfilled += t.hintsUnfulfilled;
    addRecord(out.errors, t.errors);
    addRecord(out.edgeResults, t.edgeResults);
    for (const h of ['segmentMs', 'partMs', 'blockingMs', 'playlistMs', 'queueMs'] as const)
      mergeInto(out[h], t[h]);
  }
  return out;
}

export function totalRequests(t: Tally): number {
  return KINDS.reduce((n, k) => n + t.requests[k], 0);
}

/** All workers' latest snapshots as one, with lag and busy time as the worst worker's. */
export function mergeSnapshots(ss: Snapshot[]): Snapshot {
  const out: Snapshot = {
    worker: -1,
    cpuS: undefined,
    atWall: Math.min(...ss.map((s) => s.atWall)),
    phases: { waiting: 0, starting: 0, playing: 0, stalled: 0, failed: 0, done: 0 },
    arrived: { ll: 0, plain: 0 },
    startedPlaying: 0,
    tally: mergeTallies(ss.map((s) => s.tally)),
    media: { plainSegments: 0, llSegments: 0, llParts: 0, failed: 0, skipped: 0 },
    rebuffers: 0,
    viewersWithRebuffers: 0,
    stallS: 0,
    switches: 0,
    rungs: {},
    failures: {},
    elu: 0,
    eluAll: 0,
    lagP99Ms: 0,
    lagAllP99Ms: 0,
    lagAllMaxMs: 0,
    sockets: 0,
  };
  for (const s of ss) {
    addRecord(out.phases, s.phases);
    addRecord(out.arrived, s.arrived);
    addRecord(out.media, s.media);
    addRecord(out.rungs, s.rungs);
    addRecord(out.failures, s.failures);
    out.startedPlaying += s.startedPlaying;
    out.rebuffers += s.rebuffers;
    out.viewersWithRebuffers += s.viewersWithRebuffers;
    out.stallS += s.stallS;
    out.switches += s.switches;
    out.sockets += s.sockets;
    out.elu = Math.max(out.elu, s.elu);
    out.eluAll = Math.max(out.eluAll, s.eluAll);
    out.lagP99Ms = Math.max(out.lagP99Ms, s.lagP99Ms);
    out.lagAllP99Ms = Math.max(out.lagAllP99Ms, s.lagAllP99Ms);
    out.lagAllMaxMs = Math.max(out.lagAllMaxMs, s.lagAllMaxMs);
  }
  return out;
}
