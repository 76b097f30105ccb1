/**
 * Plain HLS pollers: each reloads one media playlist every target duration, as a non-LL player
 * does at the live edge, and never asks for anything else, so the origin's playlist count is the
 * only thing a contender can change. Their phases are spread evenly over one target duration,
 * which is what many independent players look like to a cache (no synchronised herd).
 */
import http from 'node:http';
import { nextSeq } from '../lib/hls.js';
import { sleep } from '../lib/procs.js';

export interface PollStats {
  polls: number;
  failures: Record<string, number>;
  /** How far each answer was behind the origin's newest playlist when it arrived, in segments. */
  behind: number[];
}

export interface Pollers {
  /** Start (true) or stop (false) counting; the ramp before the window is not counted. */
  record(on: boolean): void;
  readonly stats: PollStats;
  stop(): Promise<void>;
}

function get(agent: http.Agent, url: URL): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

/**
 * `n` pollers on `url`, one reload every `periodMs`. `newest()` is the origin's current next
 * media sequence number (read directly, not through the contender) to measure staleness.
 */
export function startPollers(url: string, n: number, periodMs: number, newest: () => number): Pollers {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n });
  const target = new URL(url);
  const stats: PollStats = { polls: 0, failures: {}, behind: [] };
  let recording = false;
  let stopped = false;
  const fail = (why: string) => {
    if (recording) stats.failures[why] = (stats.failures[why] ?? 0) + 1;
  };
  const t0 = performance.now();
  const loops = Array.from({ length: n }, async (_, i) => {
    let due = t0 + (i * periodMs) / n;
    while (!stopped) {
      await sleep(Math.max(0, due - performance.now()));
      if (stopped) return;
      // The next reload is one period after this one actually starts (RFC 8216 6.3.4), so a
      // poller that was held up by a busy machine does not fire a burst of reloads to catch up.
      due = Math.max(due, performance.now()) + periodMs;
      try {
        const r = await get(agent, target);
        if (!recording) continue;
        stats.polls++;
        if (r.status !== 200) fail(`status ${r.status}`);
        else stats.behind.push(Math.max(0, newest() - nextSeq(r.body)));
      } catch (e) {
        fail((e as Error).message);
      }
    }
  });
  return {
    record(on) {
      recording = on;
    },
    stats,
    async stop() {
      stopped = true;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

/**
 * Track the origin's newest playlist by reading it directly every `everyMs` (not through the tap,
 * so these reads are never counted as contender traffic).
 */
export function watchNewest(url: string, everyMs: number): { newest: () => number; stop: () => void } {
  let newest = 0;
  let stopped = false;
  void (async () => {
    while (!stopped) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
        if (res.ok) newest = Math.max(newest, nextSeq(await res.text()));
      } catch {
        // A missed read only makes the staleness figure coarser for a moment.
      }
      await sleep(everyMs);
    }
  })();
  return { newest: () => newest, stop: () => void (stopped = true) };
}
