/**
 * Audience profiles: when each viewer arrives, relative to the start of the run (or, for a
 * spike, to the moment a new segment appeared), and which viewers are LL-HLS players.
 */
export type ProfileName = 'ramp' | 'step' | 'spike';

export const PROFILES: readonly ProfileName[] = ['ramp', 'step', 'spike'];

/** A spike arrives within this window after the segment boundary. */
export const SPIKE_WINDOW_MS = 100;

/** Offset in ms of viewer `i` of `n`: ramp spreads 0 -> n evenly over rampS; step is all at once. */
export function arrivalOffsetMs(profile: ProfileName, i: number, n: number, rampS: number): number {
  if (profile === 'step' || n <= 1) return 0;
  if (profile === 'spike') return (i * SPIKE_WINDOW_MS) / n;
  return (i * rampS * 1000) / n;
}

/** floor(n * share) of the first n viewers are LL, spread evenly rather than in one block. */
export function isLowLatency(i: number, share: number): boolean {
  return Math.floor((i + 1) * share + 1e-9) > Math.floor(i * share + 1e-9);
}
