import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseMediaPlaylist } from '../../src/hls/index.js';
import { FFMPEG, testPatternArgs } from '../support/ffmpeg.js';
import { HERE, makeHosts, type Hosts } from '../support/hosts.js';
import { freePort } from '../support/net.js';
import { until } from '../support/server.js';

/**
 * Issue 11, regional isolation and degradation, on real processes: each node is `corral node`
 * from one topology file; with root and `ip netns` every region's shield and edge, and the core,
 * sit in network namespaces of their own and "region A's shield down" is its link going down
 * (support/hosts.ts); otherwise the same on loopback with the shield stopped.
 */

const BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));
const TOKEN = 'isolation-test-token';
const HOSTS = ['core', 'a-shield', 'a-edge', 'b-shield', 'b-edge'];
const OUTAGE_MS = 10_000;

const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

async function get(url: string): Promise<{ status: number; text: string; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.get(url, { agent, timeout: 5000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString(),
          ms: performance.now() - t0,
        }),
      );
      res.on('error', () => resolve({ status: 0, text: '', ms: performance.now() - t0 }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, text: '', ms: performance.now() - t0 }));
  });
}

const metric = (text: string, name: string): number =>
  [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))].reduce(
    (s, m) => s + Number(m[1]),
    0,
  );

/** One viewer per region: follows the media playlist through its edge and fetches each new segment. */
class Follower {
  readonly playlists: Array<{ at: number; status: number }> = [];
  readonly segments: Array<{ at: number; seq: number; status: number; ms: number }> = [];
  /** When each new segment was first listed, by sequence. */
  readonly appeared = new Map<number, number>();
  #stop = false;
  #done: Promise<void>;

  constructor(playlistUrl: string) {
    this.#done = this.#run(playlistUrl);
  }

  async #run(url: string): Promise<void> {
    let newest = -1;
    while (!this.#stop) {
      const r = await get(url);
      this.playlists.push({ at: Date.now(), status: r.status });
      if (r.status === 200) {
        const p = parseMediaPlaylist(r.text);
        for (const [i, s] of p.segments.entries()) {
          const seq = p.mediaSequence + i;
          if (seq <= newest || s.gap) continue;
          newest = seq;
          this.appeared.set(seq, Date.now());
          const seg = await get(new URL(s.uri, url).href);
          this.segments.push({ at: Date.now(), seq, status: seg.status, ms: seg.ms });
        }
      }
      await new Promise((res) => setTimeout(res, 250));
    }
  }

  stop(): Promise<void> {
    this.#stop = true;
    return this.#done;
  }

  /** Longest wait between two newly listed segments inside [from, to]. */
  longestGapMs(from: number, to: number): number {
    const times = [...this.appeared.values()].filter((t) => t >= from && t <= to).sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < times.length; i++) gap = Math.max(gap, times[i]! - times[i - 1]!);
    return Math.max(gap, (times[0] ?? to) - from, to - (times.at(-1) ?? from));
  }

  segmentMs(from: number, to: number): number[] {
    return this.segments
      .filter((s) => s.at >= from && s.at <= to && s.status === 200)
      .map((s) => s.ms)
      .sort((a, b) => a - b);
  }
}

const quantile = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

describe('regions: isolation and degradation (corral node per node, one topology)', () => {
  it("region A's shield down: A plays on from stale copies and recovers, B and the origin do not notice; A's edge flooded: it degrades in steps, B does not", async () => {
    const hosts: Hosts = makeHosts(HOSTS);
    const dir = mkdtempSync(join(tmpdir(), 'corral-isolation-'));
    const log: string[] = [];
    const dead: string[] = [];
    let closing = false;
    try {
      const ports = await Promise.all(Array.from({ length: 9 }, () => freePort()));
      const [origin, rtmp, metricsPort, relay, director, shieldA, edgeA, shieldB, edgeB] = ports as [
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
        number,
      ];
      const at = (h: string, port: number) => `${hosts.addr(h)}:${port}`;
      const file = join(dir, 'topology.yaml');
      writeFileSync(
        file,
        `defaults:
  logLevel: warn
origin: { name: origin, listen: ${at('core', origin)} }
packager:
  name: packager
  rtmp: ${at('core', rtmp)}
  metrics: ${at('core', metricsPort)}
  set: { transcode.enabled: false, package.reconnectGraceS: 1 }
relays:
  - { name: relay, region: a, rtmp: ${at('core', relay)}, primary: packager }
director: { name: director, listen: ${at('core', director)}, defaultRegion: a }
regions:
  - name: a
    shields: [{ name: shield-a, listen: ${at('a-shield', shieldA)} }]
    edges:
      - name: edge-a
        listen: ${at('a-edge', edgeA)}
        shield: shield-a
        set:
          cache.degrade.connections: 60
          cache.degrade.escalateMs: 100
          cache.degrade.relaxMs: 500
  - name: b
    shields: [{ name: shield-b, listen: ${at('b-shield', shieldB)} }]
    edges: [{ name: edge-b, listen: ${at('b-edge', edgeB)}, shield: shield-b }]
`,
      );
      const env = { ...process.env, CORRAL_ORIGIN__PUSH_TOKEN: TOKEN };
      const start = (host: string, node: string) => {
        const p = hosts.spawn(host, process.execPath, [BIN, 'node', '--topology', file, '--node', node], env);
        const keep = (d: Buffer) => log.push(`${node}: ${d.toString().trim()}`);
        p.stdout?.on('data', keep);
        p.stderr?.on('data', keep);
        p.on('exit', (code, sig) => {
          if (!closing) dead.push(`${node} exited (${code ?? sig})`);
        });
        return p;
      };
      const healthy = (url: string) =>
        until(
          url,
          async () => {
            if (dead.length > 0) throw new Error(dead.join('; '));
            return (await get(`${url}/healthz`)).status === 200 ? true : undefined;
          },
          60_000,
        );
      start('core', 'origin');
      await healthy(`http://${at('core', origin)}`);
      start('core', 'packager');
      start('core', 'relay');
      start('a-shield', 'shield-a');
      start('b-shield', 'shield-b');
      start('a-edge', 'edge-a');
      start('b-edge', 'edge-b');
      start('core', 'director');
      const edgeUrlA = `http://${at('a-edge', edgeA)}`;
      const edgeUrlB = `http://${at('b-edge', edgeB)}`;
      for (const u of [edgeUrlA, edgeUrlB, `http://${at('core', director)}`]) await healthy(u);

      // A real broadcaster through the ingest relay, long enough for the whole test.
      const broadcast = hosts.spawn(
        HERE,
        FFMPEG,
        testPatternArgs(`rtmp://${at('core', relay)}/live/iso`, { seconds: 150 }),
      );
      const playlistA = `${edgeUrlA}/live/iso/src/index.m3u8`;
      const playlistB = `${edgeUrlB}/live/iso/src/index.m3u8`;
      for (const u of [playlistA, playlistB]) {
        await until(
          `${u} lists segments`,
          async () => {
            const r = await get(u);
            return r.status === 200 && parseMediaPlaylist(r.text).segments.length >= 2 ? true : undefined;
          },
          60_000,
        );
      }
      // Viewers routed by region: the director sends ?region=b to B's edge.
      const routed = await fetch(`http://${at('core', director)}/live/iso/index.m3u8?region=b`, {
        redirect: 'manual',
      });
      assert.equal(routed.status, 302);
      assert.ok(routed.headers.get('location')?.startsWith(edgeUrlB), routed.headers.get('location') ?? '');

      const originMetrics = async () => (await get(`http://${at('core', origin)}/metrics`)).text;
      const originGets = async () => metric(await originMetrics(), 'corral_origin_requests_total');
      const a = new Follower(playlistA);
      const b = new Follower(playlistB);
      try {
        // Baseline.
        await new Promise((r) => setTimeout(r, 8000));
        const t0 = Date.now();
        const g0 = await originGets();
        await new Promise((r) => setTimeout(r, 8000));
        const t1 = Date.now();
        const g1 = await originGets();

        // Region A's shield goes away.
        hosts.down('a-shield');
        await new Promise((r) => setTimeout(r, OUTAGE_MS));
        hosts.up('a-shield');
        const t2 = Date.now();
        const g2 = await originGets();
        const newestAtUp = Math.max(...a.appeared.keys());
        await until(
          'A lists new segments again',
          async () => (Math.max(...a.appeared.keys()) > newestAtUp ? true : undefined),
          15_000,
        );
        const recoveredMs = Date.now() - t2;
        await new Promise((r) => setTimeout(r, 4000));
        const t3 = Date.now();
        const g3 = await originGets();

        const baseRate = (g1 - g0) / ((t1 - t0) / 1000);
        const outageRate = (g2 - g1) / ((t2 - t1) / 1000);
        const afterRate = (g3 - g2) / ((t3 - t2) / 1000);
        const bBase = b.segmentMs(t0, t1);
        const bOutage = b.segmentMs(t1, t2);
        const aErrors = a.playlists.filter((p) => p.at >= t1 && p.at <= t3 && p.status !== 200);
        const figures = {
          mode: hosts.mode,
          bSegmentMs: {
            baseline: { p50: quantile(bBase, 0.5), p99: quantile(bBase, 0.99), n: bBase.length },
            aDown: { p50: quantile(bOutage, 0.5), p99: quantile(bOutage, 0.99), n: bOutage.length },
          },
          originGetsPerS: { baseline: baseRate, aDown: outageRate, afterRecovery: afterRate },
          aLongestStallMs: a.longestGapMs(t1, t3),
          bLongestStallMs: b.longestGapMs(t0, t3),
          aRecoveredMs: recoveredMs,
          aPlaylistErrors: aErrors.length,
        };
        console.log(`isolation figures: ${JSON.stringify(figures)}`);
        assert.equal(aErrors.length, 0, 'A got a playlist (stale while its shield was away) on every poll');
        assert.ok(recoveredMs < 10_000, `A recovered in ${recoveredMs} ms`);
        assert.ok(
          b.segments.every((s) => s.status === 200),
          'B never saw an error',
        );
        assert.ok(
          figures.bLongestStallMs < 4000,
          `B kept getting new segments (longest gap ${figures.bLongestStallMs} ms)`,
        );
        assert.ok(
          figures.bSegmentMs.aDown.p50 <= figures.bSegmentMs.baseline.p50 * 2 + 50,
          `B's segment latency unchanged: ${JSON.stringify(figures.bSegmentMs)}`,
        );
        assert.ok(
          outageRate <= baseRate * 1.25 + 1,
          `origin rate while A was down: ${outageRate} vs ${baseRate}/s`,
        );
        assert.ok(
          afterRate <= baseRate * 1.5 + 2,
          `origin rate after A came back: ${afterRate} vs ${baseRate}/s`,
        );

        // Flood A's edge past its connection limit: steps in order, A's viewer and B carry on.
        const steps: number[] = [];
        const watchSteps = setInterval(() => {
          void get(`${edgeUrlA}/metrics`).then((r) =>
            steps.push(metric(r.text, 'corral_cache_degrade_step')),
          );
        }, 200);
        const port = Number(new URL(edgeUrlA).port);
        const idle = await Promise.all(
          Array.from(
            { length: 150 },
            () =>
              new Promise<net.Socket>((res) => {
                const s = net.connect(port, hosts.addr('a-edge'), () => res(s));
                s.on('error', () => {});
              }),
          ),
        );
        const f0 = Date.now();
        const refused = await until(
          'new sessions at A are turned away',
          async () => {
            const r = await get(`${edgeUrlA}/live/iso/index.m3u8`);
            return r.status === 503 ? r : undefined;
          },
          20_000,
        );
        assert.equal(refused.status, 503);
        const bMulti = await get(`${edgeUrlB}/live/iso/index.m3u8`);
        assert.equal(bMulti.status, 200, 'B still takes new viewers');
        const bSteps = metric((await get(`${edgeUrlB}/metrics`)).text, 'corral_cache_degrade_step');
        for (const s of idle) s.destroy();
        await until(
          'A back to step 0',
          async () => (steps.at(-1) === 0 && steps.includes(3) ? true : undefined),
          20_000,
        );
        clearInterval(watchSteps);
        const f1 = Date.now();
        const order = steps.filter((s, i) => i === 0 || s !== steps[i - 1]);
        console.log(`degradation steps at A: ${order.join(' -> ')} (150 idle connections, limit 60)`);
        assert.deepEqual(
          order.slice(0, order.indexOf(3) + 1),
          [0, 1, 2, 3],
          `steps in order: ${order.join(',')}`,
        );
        assert.equal(order.at(-1), 0);
        assert.equal(bSteps, 0, 'B never degraded');
        const aDuring = a.playlists.filter((p) => p.at >= f0 && p.at <= f1);
        assert.ok(
          aDuring.length > 5 && aDuring.every((p) => p.status === 200),
          "A's existing viewer kept playing",
        );
        assert.ok(a.segments.filter((s) => s.at >= f0 && s.at <= f1).every((s) => s.status === 200));
      } finally {
        await a.stop();
        await b.stop();
      }
      broadcast.kill('SIGKILL');
    } catch (err) {
      console.log(log.slice(-40).join('\n'));
      throw err;
    } finally {
      agent.destroy();
      closing = true;
      await hosts.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
