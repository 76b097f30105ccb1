import type { Rng } from './rng.js';

/** Audience profiles, as the load generator's (loadgen/profile.ts). */
export type ProfileName = 'ramp' | 'step' | 'spike';
export const PROFILES: readonly ProfileName[] = ['ramp', 'step', 'spike'];

/** A spike arrives within this window after a segment boundary. */
export const SPIKE_WINDOW_MS = 100;

/** Viewers who arrive in one slot at one edge for one rendition: they act as one requester. */
export interface CohortSpec {
  /** Simulated ms of arrival (the slot's start). */
  t: number;
  edge: number;
  rendition: number;
  weight: number;
}

export interface ArrivalPlan {
  profile: ProfileName;
  viewers: number;
  rampS: number;
  /** Arrivals within this many ms are one slot. */
  slotMs: number;
  /** Simulated ms the spike's window opens (a segment boundary). */
  spikeAtMs: number;
  edges: number;
  /** Viewer share per rendition. */
  shares: readonly number[];
}

/** Offset in ms of viewer `i` of `n` (the load generator's spacing: even, not random). */
export function arrivalOffsetMs(plan: ArrivalPlan, i: number): number {
  const n = plan.viewers;
  if (plan.profile === 'step' || n <= 1) return 0;
  if (plan.profile === 'spike') return plan.spikeAtMs + (i * SPIKE_WINDOW_MS) / n;
  return (i * plan.rampS * 1000) / n;
}

/**
 * The cohorts of a run, in arrival order. Each viewer's arrival time follows the profile; its edge
 * and rendition are drawn from the seeded generator; viewers sharing (slot, edge, rendition) are
 * merged into one cohort whose weight is their number.
 */
export function planCohorts(plan: ArrivalPlan, rng: Rng): CohortSpec[] {
  const out: CohortSpec[] = [];
  const R = plan.shares.length;
  const counts = new Array<number>(plan.edges * R).fill(0);
  let slot = -1;
  const flush = () => {
    for (let k = 0; k < counts.length; k++) {
      if (counts[k]! === 0) continue;
      out.push({ t: slot * plan.slotMs, edge: Math.floor(k / R), rendition: k % R, weight: counts[k]! });
      counts[k] = 0;
    }
  };
  const cum: number[] = [];
  let total = 0;
  for (const s of plan.shares) cum.push((total += s));
  for (let i = 0; i < plan.viewers; i++) {
    const s = Math.floor(arrivalOffsetMs(plan, i) / plan.slotMs);
    if (s !== slot) {
      flush();
      slot = s;
    }
    const e = rng.int(plan.edges);
    const x = rng.next() * total;
    let r = 0;
    while (r < R - 1 && x >= cum[r]!) r++;
    counts[e * R + r]!++;
  }
  flush();
  return out;
}
