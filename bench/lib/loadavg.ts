import { loadavg as osLoadavg } from 'node:os';

/** 1/5/15-minute load averages, rounded: the machine is shared, so every phase records them. */
export function loadavg(): number[] {
  return osLoadavg().map((x) => Math.round(x * 100) / 100);
}
