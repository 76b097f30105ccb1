/**
 * Simulated LL-HLS viewers, all in this process over one keep-alive agent. Each loops as hls.js
 * does at the live edge: a blocking reload for the next part (?_HLS_msn=M&_HLS_part=P), then a GET
 * of the newest part that playlist lists, and again. One rendition each (the source video).
 */
import http from 'node:http';
import { formatDirectives, liveEdge, parseMediaPlaylist, type LiveEdge } from '../../src/hls/index.js';
import { isCorralError } from '../../src/util/errors.js';

export type NextPart = LiveEdge;

/**
 * From a media playlist: the newest listed part and the part to block on next (the first part of
 * the segment in progress not listed yet); undefined when the text is not a media playlist.
 */
export function nextPart(text: string): NextPart | undefined {
  try {
    return liveEdge(parseMediaPlaylist(text));
  } catch (e) {
    if (isCorralError(e, 'HLS_PARSE')) return undefined;
    throw e;
  }
}

export interface ViewerStats {
  viewers: number;
  playlistRequests: number;
  partRequests: number;
  /** Non-200 answers and transport errors, by status ("error" for the latter). */
  failures: Record<string, number>;
  /** Per part URI, each viewer's completion time minus the first viewer's, ms. */
  fanoutLagMs: number[];
  /** Time from sending a blocking reload to its answer, ms. */
  blockMs: number[];
}

interface Get {
  status: number;
  body: string;
}

/** A GET on the shared agent; with `keep` false the body is read and dropped (media parts). */
function get(agent: http.Agent, url: string, timeoutMs: number, keep = true): Promise<Get> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      if (keep) res.on('data', (c: Buffer) => chunks.push(c));
      else res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('latin1') }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * Run `n` viewers of `playlistUrl` until stop() is called; they start spread over `rampMs`.
 * Per-request bookkeeping is only recorded while `recording` is on (the measurement window).
 */
export function startViewers(playlistUrl: string, n: number, rampMs = 1000) {
  // One socket per viewer at most: every viewer has one request parked at a time.
  const agent = new http.Agent({ keepAlive: true, maxSockets: n, maxFreeSockets: n, timeout: 30_000 });
  const base = playlistUrl.slice(0, playlistUrl.lastIndexOf('/') + 1);
  let stopped = false;
  let recording = false;
  const stats: ViewerStats = {
    viewers: n,
    playlistRequests: 0,
    partRequests: 0,
    failures: {},
    fanoutLagMs: [],
    blockMs: [],
  };
  const firstDone = new Map<string, number>();
  const fail = (key: string) => {
    if (recording) stats.failures[key] = (stats.failures[key] ?? 0) + 1;
  };

  async function viewer(delayMs: number): Promise<void> {
    await new Promise((r) => setTimeout(r, delayMs));
    let next: NextPart | undefined;
    let lastPart = '';
    while (!stopped) {
      const url = next ? `${playlistUrl}?${formatDirectives(next)}` : playlistUrl;
      const t0 = performance.now();
      let pl: Get;
      try {
        pl = await get(agent, url, 15_000);
      } catch {
        fail('error');
        next = undefined;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      if (stopped) break;
      if (recording) {
        stats.playlistRequests++;
        if (next) stats.blockMs.push(performance.now() - t0);
      }
      if (pl.status !== 200) {
        fail(String(pl.status));
        next = undefined;
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      next = nextPart(pl.body);
      const newest = next?.newestPart;
      if (!newest || newest === lastPart) continue;
      lastPart = newest;
      try {
        const part = await get(agent, base + newest, 15_000, false);
        if (!recording) continue;
        stats.partRequests++;
        if (part.status !== 200) {
          fail(String(part.status));
          continue;
        }
        const now = performance.now();
        const first = firstDone.get(newest);
        if (first === undefined) firstDone.set(newest, now);
        stats.fanoutLagMs.push(first === undefined ? 0 : now - first);
      } catch {
        fail('error');
      }
    }
  }

  const all = Array.from({ length: n }, (_, i) => viewer((i * rampMs) / n));
  return {
    stats,
    record(on: boolean) {
      recording = on;
    },
    async stop(): Promise<void> {
      stopped = true;
      // Parked requests end on their own within a part duration; the agent cuts the rest.
      await Promise.race([Promise.all(all), new Promise((r) => setTimeout(r, 3000))]);
      agent.destroy();
      await Promise.allSettled(all);
    },
  };
}
