/**
 * corral as the bench sees it: `bin/corral start` in its own process (so /proc counts exactly it
 * and the ffmpeg children it spawns), its origin's /metrics, and the warnings it logs.
 */
import { startCorral as startCorralChild, type Corral as BaseCorral } from '../lib/corral.js';
import { nextSeq } from '../lib/hls.js';
import type { Procs } from '../lib/procs.js';

export interface DegradeEvent {
  stream: string;
  step: string;
  level: number;
  reason: string;
  /** Seconds since the bench started this corral. */
  atS: number;
}

export interface Corral extends BaseCorral {
  degrades: DegradeEvent[];
  /** Every warning/error counted by its message (the log is truncated). */
  counts: Record<string, number>;
  /** /metrics scrapes that failed or timed out. */
  scrapeFailures: string[];
}

/** corral on loopback with the default ladder and preset (what is being measured), plus `sets`. */
export async function startCorral(procs: Procs, transcode: boolean, sets: string[] = []): Promise<Corral> {
  const t0 = performance.now();
  const degrades: DegradeEvent[] = [];
  const counts: Record<string, number> = {};
  const base = await startCorralChild(procs, {
    name: transcode ? 'corral-abr' : 'corral-passthrough',
    args: ['--set', `transcode.enabled=${transcode}`, ...sets.flatMap((kv) => ['--set', kv])],
    onLog: (_line, j) => {
      if (!j) return false;
      const msg = String(j.msg);
      counts[msg] = (counts[msg] ?? 0) + 1;
      if (msg !== 'transcoding degraded') return false;
      degrades.push({
        stream: String(j.stream),
        step: String(j.step),
        level: Number(j.level),
        reason: String(j.reason),
        atS: Math.round((performance.now() - t0) / 100) / 10,
      });
      return true;
    },
  });
  return { ...base, degrades, counts, scrapeFailures: [] };
}

export interface TranscodeSeries {
  speed: Map<string, number>;
  level: Map<string, number>;
}

/**
 * corral_transcode_speed / _degrade_level per stream label, from the origin's /metrics. A scrape
 * that fails or takes over 5 s (seen once with the machine at load 7) is counted and yields no
 * readings rather than ending the run: one missed reading in a window is not a result.
 */
export async function scrape(c: Corral): Promise<TranscodeSeries> {
  const out: TranscodeSeries = { speed: new Map(), level: new Map() };
  let text: string;
  try {
    const res = await fetch(`${c.origin}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) throw new Error(`status ${res.status}`);
    text = await res.text();
  } catch (e) {
    c.scrapeFailures.push(`${Math.round(performance.now())}: ${(e as Error).message}`);
    return out;
  }
  for (const line of text.split('\n')) {
    const m = /^corral_transcode_(speed|degrade_level)\{[^}]*stream="([^"]+)"[^}]*\}\s+(\S+)/.exec(line);
    if (!m) continue;
    (m[1] === 'speed' ? out.speed : out.level).set(m[2]!, Number(m[3]));
  }
  return out;
}

/** Segments made so far by one of corral's renditions, read straight from the origin. */
export async function corralSegments(c: Corral, stream: string, rendition: string): Promise<number> {
  try {
    const res = await fetch(`${c.origin}/live/${stream}/${rendition}/index.m3u8`, {
      signal: AbortSignal.timeout(3000),
    });
    return res.ok ? nextSeq(await res.text()) : 0;
  } catch {
    return 0;
  }
}
