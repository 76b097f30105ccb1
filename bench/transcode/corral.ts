/**
 * corral as the bench sees it: `bin/corral start` in its own process (so /proc counts exactly it
 * and the ffmpeg children it spawns), its origin's /metrics, and the warnings it logs.
 */
import { startCorral as startCorralChild } from '../lib/corral.js';
import { nextSeq } from '../lib/hls.js';
import { freePort } from '../lib/net.js';
import type { Child, Procs } from '../lib/procs.js';

export interface DegradeEvent {
  stream: string;
  step: string;
  level: number;
  reason: string;
  /** Seconds since the bench started this corral. */
  atS: number;
}

export interface Corral {
  child: Child;
  rtmp: string;
  /** The origin's base URL: it serves /metrics with the transcoder series, and the playlists. */
  origin: string;
  degrades: DegradeEvent[];
  /** Warnings and errors other than degrade events (crashes, restarts...), first 100. */
  log: string[];
  /** Every warning/error counted by its message (the log above is truncated). */
  counts: Record<string, number>;
  /** /metrics scrapes that failed or timed out. */
  scrapeFailures: string[];
}

/**
 * Start corral on loopback ports. The viewer and RTMP ports come from the kernel and are read
 * from the banner; the origin port is chosen here because the banner does not print it.
 */
export async function startCorral(procs: Procs, transcode: boolean, sets: string[] = []): Promise<Corral> {
  const originPort = await freePort();
  const t0 = performance.now();
  const c: Corral = {
    child: undefined as unknown as Child,
    rtmp: '',
    origin: `http://127.0.0.1:${originPort}`,
    degrades: [],
    log: [],
    counts: {},
    scrapeFailures: [],
  };
  const onLine = (line: string) => {
    const pub = /publish:\s+(rtmp:\/\/\S+)\/live\/NAME/.exec(line);
    if (pub) c.rtmp = pub[1]!;
    if (!line.startsWith('{')) return;
    // The generated-certificate notice comes with every start and says nothing about the bench.
    if (line.includes('no RTMPS certificate configured')) return;
    try {
      const j = JSON.parse(line) as Record<string, unknown>;
      const msg = String(j.msg);
      c.counts[msg] = (c.counts[msg] ?? 0) + 1;
      if (j.msg === 'transcoding degraded') {
        c.degrades.push({
          stream: String(j.stream),
          step: String(j.step),
          level: Number(j.level),
          reason: String(j.reason),
          atS: Math.round((performance.now() - t0) / 100) / 10,
        });
      } else if (c.log.length < 100) c.log.push(line.slice(0, 400));
    } catch {
      if (c.log.length < 100) c.log.push(line.slice(0, 400));
    }
  };
  c.child = await startCorralChild(procs, {
    name: transcode ? 'corral-abr' : 'corral-passthrough',
    originPort,
    // Default config otherwise: the default ladder and preset are what is being measured.
    args: ['--set', `transcode.enabled=${transcode}`, ...sets.flatMap((kv) => ['--set', kv])],
    onLine,
    ready: () => !!c.rtmp,
    what: 'RTMP URL printed',
  });
  return c;
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
