/**
 * Phase 2: upstream requests per second at the origin while 1, 100, 1000 LL-HLS viewers are
 * blocked at one edge. Real processes on loopback:
 *
 *   ffmpeg -re -> corral start (ingest, packager, origin; LL-HLS push, passthrough)
 *     <- tap (tap.ts: counts by kind) <- corral shield <- corral edge <- N viewers (this process)
 *
 * The origin's own /metrics give the total; the tap splits it by kind; each cache node's
 * corral_cache_upstream_fetches_total gives that tier's upstream requests.
 */
import { fileURLToPath } from 'node:url';
import { CORRAL_BIN } from '../lib/corral.js';
import { loadavg } from '../lib/loadavg.js';
import { broadcast } from '../lib/media.js';
import { freePort } from '../lib/net.js';
import { cpuSeconds } from '../lib/procfs.js';
import { sleep, type Child, type Procs } from '../lib/procs.js';
import { percentile } from '../lib/stats.js';
import { livePlaylist, startCorral } from './corral.js';
import { startViewers } from './viewers.js';
import { round, scrape, sum, until } from './util.js';

const TAP = fileURLToPath(new URL('./tap.ts', import.meta.url));

export interface LoadRow {
  viewers: number;
  windowS: number;
  /** Origin GETs per second from its own counter (our one /metrics scrape per window removed). */
  originRps: number;
  /** Origin requests per second by kind, from the tap. */
  originByKind: Record<string, number>;
  shieldUpstreamRps: number;
  edgeUpstreamRps: number;
  /** Blocking reloads and hinted-part holds at the origin, by result, per second. */
  originBlocking: Record<string, number>;
  /** What the viewers did, per second in total and per viewer. */
  viewerRps: number;
  partsPerViewerPerS: number;
  viewerFailures: Record<string, number>;
  blockMs: { p50: number; p95: number };
  fanoutLagMs: { p50: number; p99: number; max: number };
  edgeResults: Record<string, number>;
  /** Origin requests in the window whose exact URL reached the origin more than once. */
  originRepeats: { requests: number; distinctUrls: number; examples: string[] };
  cpuCores: Record<string, number>;
  ratioVsOne?: { origin: number; shield: number; edge: number };
  load: { before: number[]; after: number[] };
}

export interface LoadResult {
  rows: LoadRow[];
  serverLog: string[];
}

interface Snapshot {
  t: number;
  originGet: number;
  blocking: Record<string, number>;
  tap: Record<string, number>;
  shieldUp: number;
  edgeUp: number;
  edgeResults: Record<string, number>;
  cpu: Record<string, number>;
}

async function snapshot(
  urls: Record<'origin' | 'shield' | 'edge' | 'tap', string>,
  pids: Record<string, number>,
) {
  const [o, s, e, tap] = await Promise.all([
    scrape(`${urls.origin}/metrics`),
    scrape(`${urls.shield}/metrics`),
    scrape(`${urls.edge}/metrics`),
    fetch(`${urls.tap}/__tap`).then((r) => r.json() as Promise<Record<string, number>>),
  ]);
  const blocking: Record<string, number> = {};
  for (const [n, l, v] of o) if (n === 'corral_origin_blocking_total') blocking[l.result ?? '?'] = v;
  const edgeResults: Record<string, number> = {};
  for (const [n, l, v] of e) if (n === 'corral_cache_requests_total') edgeResults[l.result ?? '?'] = v;
  const cpu: Record<string, number> = {
    bench: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
  };
  for (const [name, pid] of Object.entries(pids)) cpu[name] = cpuSeconds(pid);
  return {
    t: performance.now(),
    originGet: sum(o, 'corral_origin_requests_total', { method: 'GET' }),
    blocking,
    tap,
    shieldUp: sum(s, 'corral_cache_upstream_fetches_total'),
    edgeUp: sum(e, 'corral_cache_upstream_fetches_total'),
    edgeResults,
    cpu,
  } satisfies Snapshot;
}

function perSecond(a: Record<string, number>, b: Record<string, number>, s: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const d = (b[k] ?? 0) - (a[k] ?? 0);
    if (d !== 0) out[k] = round(d / s);
  }
  return out;
}

/** Which origin requests repeated a URL already fetched in the window (each should come once). */
function repeats(log: Array<[number, string, number, number]>): LoadRow['originRepeats'] {
  const seen = new Map<string, Array<[number, number, number]>>();
  for (const [t, url, status, ms] of log) seen.set(url, [...(seen.get(url) ?? []), [t, status, ms]]);
  const examples = [...seen]
    .filter(([, v]) => v.length > 1)
    .slice(0, 6)
    .map(
      ([url, v]) => `${url} x${v.length}: ${v.map(([t, st, ms]) => `@${t}ms ${st} in ${ms}ms`).join(', ')}`,
    );
  return { requests: log.length, distinctUrls: seen.size, examples };
}

export async function measureLoad(
  procs: Procs,
  o: { input: string; counts: number[]; windowS: number; settleS: number },
): Promise<LoadResult> {
  const corral = await startCorral(procs, ['--freshness', 'push', '--transcode', 'false']);
  const children: Child[] = [corral.child];
  try {
    const [tapPort, shieldPort, edgePort] = [await freePort(), await freePort(), await freePort()];
    const tap = procs.start('tap', process.execPath, [
      '--import',
      'tsx',
      TAP,
      String(tapPort),
      corral.origin,
    ]);
    const cache = (role: 'shield' | 'edge', port: number, up: string) =>
      procs.start(role, process.execPath, [
        ...[CORRAL_BIN, role, '--listen', `127.0.0.1:${port}`, '--upstream', up],
      ]);
    const shield = cache('shield', shieldPort, `http://127.0.0.1:${tapPort}`);
    const edge = cache('edge', edgePort, `http://127.0.0.1:${shieldPort}`);
    children.push(tap, shield, edge);
    const urls = {
      origin: corral.origin,
      tap: `http://127.0.0.1:${tapPort}`,
      shield: `http://127.0.0.1:${shieldPort}`,
      edge: `http://127.0.0.1:${edgePort}`,
    };
    for (const [name, u] of Object.entries(urls)) {
      const path = name === 'tap' ? '/__tap' : name === 'origin' ? '/metrics' : '/healthz';
      try {
        await until(`${name} up`, async () => ((await fetch(`${u}${path}`)).ok ? true : undefined), 20_000);
      } catch (e) {
        const tails = children.map((c) => `${c.name}: ${c.tail.slice(-5).join('\n  ')}`).join('\n');
        throw new Error(`${(e as Error).message}\n${tails}`);
      }
    }
    const caster = broadcast(procs, o.input, `${corral.rtmp}/live/lat`);
    children.push(caster);
    const playlist = `${urls.edge}/live/lat/src/index.m3u8`;
    await until('three segments through the edge', () => livePlaylist(playlist, 3), 45_000);
    const pids = { origin: corral.child.pid, shield: shield.pid, edge: edge.pid, tap: tap.pid };
    const rows: LoadRow[] = [];
    for (const n of o.counts) {
      const before = loadavg();
      const viewers = startViewers(playlist, n, Math.min(2000, n * 2));
      try {
        await sleep(o.settleS * 1000);
        viewers.record(true);
        const a = await snapshot(urls, pids);
        await sleep(o.windowS * 1000);
        const b = await snapshot(urls, pids);
        viewers.record(false);
        for (const c of children) {
          if (!procs.running(c)) throw new Error(`${c.name} died:\n${c.tail.join('\n')}`);
        }
        const s = (b.t - a.t) / 1000;
        const recent = (await (await fetch(`${urls.tap}/__tap/recent`)).json()) as Array<
          [number, string, number, number]
        >;
        const v = viewers.stats;
        const row: LoadRow = {
          viewers: n,
          windowS: round(s, 1),
          originRps: round((b.originGet - a.originGet - 1) / s),
          originByKind: perSecond(a.tap, b.tap, s),
          shieldUpstreamRps: round((b.shieldUp - a.shieldUp) / s),
          edgeUpstreamRps: round((b.edgeUp - a.edgeUp) / s),
          originBlocking: perSecond(a.blocking, b.blocking, s),
          viewerRps: round((v.playlistRequests + v.partRequests) / s),
          partsPerViewerPerS: round(v.partRequests / n / s),
          viewerFailures: v.failures,
          blockMs: { p50: round(percentile(v.blockMs, 50), 1), p95: round(percentile(v.blockMs, 95), 1) },
          fanoutLagMs: {
            p50: round(percentile(v.fanoutLagMs, 50), 1),
            p99: round(percentile(v.fanoutLagMs, 99), 1),
            max: round(Math.max(0, ...v.fanoutLagMs), 1),
          },
          edgeResults: perSecond(a.edgeResults, b.edgeResults, s),
          originRepeats: repeats(recent.slice(-Math.round(b.originGet - a.originGet))),
          cpuCores: perSecond(a.cpu, b.cpu, s),
          load: { before, after: loadavg() },
        };
        const one = rows[0];
        if (one) {
          row.ratioVsOne = {
            origin: round(row.originRps / one.originRps),
            shield: round(row.shieldUpstreamRps / one.shieldUpstreamRps),
            edge: round(row.edgeUpstreamRps / one.edgeUpstreamRps),
          };
        }
        rows.push(row);
        console.log(`  ${n} viewers: origin ${row.originRps} req/s ${JSON.stringify(row.originByKind)}`);
      } finally {
        await viewers.stop();
      }
      await sleep(2000);
    }
    return { rows, serverLog: corral.log.slice(0, 20) };
  } finally {
    for (const c of children.reverse())
      await procs.stop(c, c.name === 'broadcaster' ? 'SIGINT' : 'SIGTERM', 3000);
  }
}
