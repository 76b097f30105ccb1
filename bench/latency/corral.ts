/**
 * `bin/corral start` as the latency bench runs it: a child on kernel-picked ports (the input and
 * its broadcaster are bench/lib/media.ts).
 */
import { startCorral as startCorralChild, type Corral } from '../lib/corral.js';
import type { Procs } from '../lib/procs.js';

export type { Corral };

/** `bin/corral start` with the given flags (shared helper: ports from the kernel, URLs from the banner). */
export function startCorral(procs: Procs, extra: string[]): Promise<Corral> {
  return startCorralChild(procs, { args: extra });
}

/** A playlist that lists at least `segments` complete segments, or undefined. */
export async function livePlaylist(url: string, segments: number): Promise<string | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return res.ok && (text.match(/#EXTINF/g)?.length ?? 0) >= segments ? text : undefined;
}
