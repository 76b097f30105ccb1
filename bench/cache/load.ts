/** Load generators for the cache benchmark: synchronized misses, wrk hit throughput, parked memory. */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { rssOf, type Proc } from './servers.js';

export interface Timing {
  status: number;
  firstByte: number;
  done: number;
  bytes: number;
}

/** GET that counts body bytes without keeping them (the client must not be the bottleneck). */
function timedGet(url: string, agent: http.Agent, t0: number): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      let firstByte = -1;
      let bytes = 0;
      res.on('data', (c: Buffer) => {
        if (firstByte < 0) firstByte = performance.now() - t0;
        bytes += c.length;
      });
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, firstByte, done: performance.now() - t0, bytes }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** Open `n` keep-alive connections first, so the spike measures the cache, not TCP handshakes. */
export async function warmAgent(base: string, n: number, warmPath: string): Promise<http.Agent> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: n, maxFreeSockets: n, keepAliveMsecs: 60_000 });
  const t0 = performance.now();
  await Promise.all(Array.from({ length: n }, () => timedGet(base + warmPath, agent, t0)));
  return agent;
}

export function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

export interface MissResult {
  n: number;
  originFetches: number;
  /** Waiter completion minus the first completion (the leader's), ms. */
  lagP50: number;
  lagP99: number;
  ttfbP50: number;
  ttfbP99: number;
  leaderDone: number;
  errors: number;
}

/** n requests for one new object fired in the same tick over pre-opened connections. */
export async function synchronizedMiss(
  proxy: Proc,
  n: number,
  path: string,
  originCount: (p: string) => Promise<number>,
  agent: http.Agent,
  expectBytes: number,
): Promise<MissResult> {
  const t0 = performance.now();
  const all = await Promise.allSettled(
    Array.from({ length: n }, () => timedGet(proxy.url + path, agent, t0)),
  );
  const ok = all.flatMap((r) => (r.status === 'fulfilled' && r.value.bytes === expectBytes ? [r.value] : []));
  const leader = Math.min(...ok.map((r) => r.done));
  const lags = ok.map((r) => r.done - leader).sort((a, b) => a - b);
  lags.shift(); // the leader itself
  const ttfb = ok.map((r) => r.firstByte);
  return {
    n,
    originFetches: await originCount(path),
    lagP50: pct(lags, 50),
    lagP99: pct(lags, 99),
    ttfbP50: pct(ttfb, 50),
    ttfbP99: pct(ttfb, 99),
    leaderDone: leader,
    errors: n - ok.length,
  };
}

/** wrk against a cached URL: requests per second. */
export function wrk(url: string, seconds: number, connections = 100): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/wrk',
      ['-t2', `-c${connections}`, `-d${seconds}s`, url],
      { timeout: (seconds + 30) * 1000 },
      (err, stdout) => {
        if (err) return reject(err);
        const m = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
        if (m === null) return reject(new Error(`wrk output: ${stdout}`));
        if (/Non-2xx/.test(stdout)) return reject(new Error(`wrk saw errors: ${stdout}`));
        resolve(Number(m[1]));
      },
    );
  });
}

/**
 * Resident memory per parked waiter: open n connections, read the server's RSS, park n requests
 * on an object whose first byte takes seconds, read it again.
 */
export async function memoryPerWaiter(
  proxy: Proc,
  n: number,
  slowPath: string,
  warmPath: string,
): Promise<number> {
  const agent = await warmAgent(proxy.url, n, warmPath);
  await new Promise((r) => setTimeout(r, 300));
  await proxy.settle?.();
  const before = rssOf(proxy.pids());
  const t0 = performance.now();
  const pending = Promise.allSettled(
    Array.from({ length: n }, () => timedGet(proxy.url + slowPath, agent, t0)),
  );
  await new Promise((r) => setTimeout(r, 1200));
  await proxy.settle?.();
  const during = rssOf(proxy.pids());
  await pending;
  agent.destroy();
  return (during - before) / n;
}
