/**
 * Loopback HTTP with keep-alive and latency summaries for the ingest benchmark. Process plumbing
 * (children, /proc CPU time, ports) is shared with the other benches in bench/lib.
 */
import http from 'node:http';
import { percentile } from '../lib/stats.js';

export interface HttpResult {
  status: number;
  body: Buffer;
  /** performance.now() when the last body byte arrived. */
  doneAt: number;
}

/** A GET over a keep-alive agent: the eager viewer reuses its connection like a real player. */
export function httpGet(agent: http.Agent, url: string, timeoutMs = 5000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), doneAt: performance.now() }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export function summarize(values: number[], digits = 1): Summary {
  const r = (x: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    n: values.length,
    p50: r(percentile(values, 50)),
    p95: r(percentile(values, 95)),
    max: r(values.length ? Math.max(...values) : NaN),
    mean: r(mean),
  };
}
