/**
 * Plain polling through commodity caches (issue 10): how many playlist requests reach the origin
 * when N plain (non-LL) players poll one media playlist through
 *
 *   - nothing (the baseline: pollers -> tap -> origin),
 *   - nginx proxy_cache + proxy_cache_lock, Varnish with its default VCL (bench/cache/servers.ts),
 *   - corral edge -> corral shield (separate processes),
 *
 * for --freshness push and ttl, at 1 s and 2 s segments. Every contender sits in front of the same
 * counting tap (bench/latency/tap.ts) in front of `corral start --transcode false`, so the tap's
 * playlist count is exactly what the contender let through.
 *
 *   npx tsx bench/ttl/run.ts [--pollers 200] [--seconds 20] [--settle 5] [--quick]
 *
 * Loopback only, bounded by a global deadline; every child and temp dir is removed on the way
 * out. Results: a table on stdout and bench/ttl/last-run.json.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { testPatternArgs } from '../../test/support/ffmpeg.js';
import { startNginx, startVarnish, type Proc } from '../cache/servers.js';
import { CORRAL_BIN, startCorral } from '../lib/corral.js';
import { numberFlag as num } from '../lib/flags.js';
import { startBench } from '../lib/harness.js';
import { loadavg } from '../lib/loadavg.js';
import { FFMPEG } from '../lib/media.js';
import { sleep, type Child } from '../lib/procs.js';
import { writeResults } from '../lib/results.js';
import { percentile } from '../lib/stats.js';
import { round, until } from '../latency/util.js';
import { startPollers, watchNewest } from './pollers.js';

const { values: flags } = parseArgs({
  options: {
    pollers: { type: 'string', default: '200' },
    seconds: { type: 'string', default: '20' },
    settle: { type: 'string', default: '5' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  console.log(`usage: npx tsx bench/ttl/run.ts [flags]
  --pollers N   plain pollers on one media playlist (200)
  --seconds N   counted window per contender (20)
  --settle N    seconds of polling before the window, so every cache is warm (5)
  --quick       5 s windows, 2 s settle: a smoke run`);
  process.exit(0);
}

const pollers = num(flags.pollers, 'pollers', 1, 5000);
const windowS = flags.quick ? 5 : num(flags.seconds, 'seconds', 2, 300);
const settleS = flags.quick ? 2 : num(flags.settle, 'settle', 1, 60);
/** The ports this bench picks itself (the shared helpers take theirs from the kernel). */
const PORTS = { tap: 29410, shield: 29411, edge: 29412 };
const MODES = ['push', 'ttl'] as const;
const SEGMENTS_S = [1, 2] as const;
const CONTENDERS = ['direct', 'nginx', 'varnish', 'corral'] as const;
type Contender = (typeof CONTENDERS)[number];

const TAP = fileURLToPath(new URL('../latency/tap.ts', import.meta.url));
const perRun = CONTENDERS.length * (settleS + windowS + 8) + 60;
const { procs, run } = startBench({ name: 'ttl', budgetS: MODES.length * SEGMENTS_S.length * perRun + 120 });

interface Row {
  mode: (typeof MODES)[number];
  segmentS: number;
  contender: Contender;
  /** Cache-Control the origin sent on the plain playlist. */
  cacheControl: string;
  windowS: number;
  /** Playlist requests per second that reached the origin (counted at the tap). */
  originPlaylistRps: number;
  /** Everything else that reached the origin (should be 0: the pollers ask only for the playlist). */
  originOtherRps: number;
  /** Origin playlist requests through this contender / without any cache, same pollers. */
  ratioVsDirect: number | null;
  pollerRps: number;
  failures: Record<string, number>;
  /** How many segments behind the origin's newest playlist the pollers' answers were. */
  behindSegments: { mean: number; p95: number; max: number };
  load: { before: number[]; after: number[] };
}

async function tapCounts(tap: string): Promise<Record<string, number>> {
  const res = await fetch(`${tap}/__tap`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as Record<string, number>;
}

async function waitUp(url: string, label: string): Promise<void> {
  await until(
    label,
    async () => ((await fetch(url, { signal: AbortSignal.timeout(3000) })).status < 500 ? true : undefined),
    30_000,
  );
}

/** The contender in front of the tap; its base URL and how to stop it. */
async function startContender(
  c: Contender,
  tap: string,
): Promise<{ url: string; stop: () => Promise<void> }> {
  if (c === 'direct') return { url: tap, stop: async () => {} };
  if (c === 'nginx' || c === 'varnish') {
    const p: Proc = c === 'nginx' ? await startNginx(tap) : await startVarnish(tap);
    return { url: p.url, stop: () => p.stop() };
  }
  const node = (role: 'shield' | 'edge', port: number, up: string): Child =>
    procs.start(role, process.execPath, [
      ...[CORRAL_BIN, role, '--listen', `127.0.0.1:${port}`, '--upstream', up, '--log-level', 'warn'],
    ]);
  const shield = node('shield', PORTS.shield, tap);
  const edge = node('edge', PORTS.edge, `http://127.0.0.1:${PORTS.shield}`);
  const url = `http://127.0.0.1:${PORTS.edge}`;
  await waitUp(`http://127.0.0.1:${PORTS.shield}/healthz`, 'shield up');
  await waitUp(`${url}/healthz`, 'edge up');
  return {
    url,
    stop: async () => {
      await procs.stop(edge);
      await procs.stop(shield);
    },
  };
}

async function measure(mode: Row['mode'], segmentS: number): Promise<Row[]> {
  const corral = await startCorral(procs, {
    name: `corral-${mode}-${segmentS}s`,
    args: ['--freshness', mode, '--segment-duration', String(segmentS), '--transcode', 'false'],
  });
  const children: Child[] = [corral.child];
  try {
    const tapChild = procs.start('tap', process.execPath, [
      '--import',
      'tsx',
      TAP,
      String(PORTS.tap),
      corral.origin,
    ]);
    children.push(tapChild);
    const tap = `http://127.0.0.1:${PORTS.tap}`;
    await waitUp(`${tap}/__tap`, 'tap up');
    // A live test pattern, small: the pollers only read playlists, so picture size is irrelevant.
    const caster = procs.start(
      'broadcaster',
      FFMPEG,
      testPatternArgs(`${corral.rtmp}/live/ttl`, { seconds: 3600, size: '320x180', realtime: true }),
    );
    children.push(caster);
    const path = '/live/ttl/src/index.m3u8';
    const direct = `${corral.origin}${path}`;
    await until(
      'three segments at the origin',
      async () => {
        const r = await fetch(direct, { signal: AbortSignal.timeout(3000) });
        return r.ok && ((await r.text()).match(/#EXTINF/g)?.length ?? 0) >= 3 ? true : undefined;
      },
      60_000,
    );
    const head = await fetch(direct);
    const cacheControl = head.headers.get('cache-control') ?? '(none)';
    const targetS = Number(/#EXT-X-TARGETDURATION:(\d+)/.exec(await head.text())?.[1] ?? segmentS);
    const watcher = watchNewest(direct, 250);
    const rows: Row[] = [];
    try {
      for (const c of CONTENDERS) {
        const before = loadavg();
        const contender = await startContender(c, tap);
        const p = startPollers(`${contender.url}${path}`, pollers, targetS * 1000, watcher.newest);
        try {
          await sleep(settleS * 1000);
          p.record(true);
          const a = await tapCounts(tap);
          const t0 = performance.now();
          await sleep(windowS * 1000);
          const b = await tapCounts(tap);
          const s = (performance.now() - t0) / 1000;
          p.record(false);
          for (const ch of children)
            if (!procs.running(ch)) throw new Error(`${ch.name} died:\n${ch.tail.join('\n')}`);
          const d = (k: string) => (b[k] ?? 0) - (a[k] ?? 0);
          const other = Object.keys(b)
            .filter((k) => k !== 'playlist')
            .reduce((t, k) => t + d(k), 0);
          const behind = p.stats.behind;
          const row: Row = {
            mode,
            segmentS,
            contender: c,
            cacheControl,
            windowS: round(s, 1),
            originPlaylistRps: round(d('playlist') / s),
            originOtherRps: round(other / s),
            ratioVsDirect: null,
            pollerRps: round(p.stats.polls / s),
            failures: p.stats.failures,
            behindSegments: {
              mean: round(behind.reduce((x, y) => x + y, 0) / Math.max(1, behind.length)),
              p95: percentile(behind, 95),
              max: Math.max(0, ...behind),
            },
            load: { before, after: loadavg() },
          };
          const base = rows[0];
          if (base && base.originPlaylistRps > 0)
            row.ratioVsDirect = round(row.originPlaylistRps / base.originPlaylistRps, 4);
          rows.push(row);
          console.log(
            `  ${mode} ${segmentS}s ${c.padEnd(7)} origin playlist ${row.originPlaylistRps}/s (pollers ${row.pollerRps}/s), ratio ${row.ratioVsDirect ?? '-'}, behind mean ${row.behindSegments.mean} seg`,
          );
        } finally {
          await p.stop();
          await contender.stop();
        }
        await sleep(1000);
      }
    } finally {
      watcher.stop();
    }
    return rows;
  } finally {
    for (const ch of children.reverse())
      await procs.stop(ch, ch.name === 'broadcaster' ? 'SIGINT' : 'SIGTERM', 3000);
  }
}

function print(rows: Row[]): void {
  console.log(
    `\nOrigin playlist requests, ${pollers} plain pollers on one media playlist, ${windowS} s window per contender`,
  );
  console.log(
    '| mode | segment | contender | origin playlist req/s | ratio vs direct | poller req/s | behind (segments) mean / max | failures | goal <= ~1/s |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    const fails = Object.values(r.failures).reduce((a, b) => a + b, 0);
    const goal = r.contender === 'direct' ? '-' : r.originPlaylistRps <= 1.1 ? 'met' : 'MISSED';
    console.log(
      `| ${r.mode} | ${r.segmentS} s | ${r.contender} | ${r.originPlaylistRps} | ${r.ratioVsDirect === null ? '-' : `${r.ratioVsDirect}x`} | ${r.pollerRps} | ${r.behindSegments.mean} / ${r.behindSegments.max} | ${fails} | ${goal} |`,
    );
  }
  const seen = new Map<string, string>();
  for (const r of rows) seen.set(`${r.mode} ${r.segmentS} s`, r.cacheControl);
  console.log('\nCache-Control on the plain playlist, from the origin:');
  for (const [k, v] of seen) console.log(`  ${k}: ${v}`);
}

void run(async () => {
  const startedAt = new Date().toISOString();
  const loadStart = loadavg();
  const rows: Row[] = [];
  for (const segmentS of SEGMENTS_S) {
    for (const mode of MODES) rows.push(...(await measure(mode, segmentS)));
  }
  print(rows);
  const loadEnd = loadavg();
  console.log(`\nload average (1/5/15 min): start ${loadStart.join(' ')}, end ${loadEnd.join(' ')}`);
  await writeResults(new URL('./last-run.json', import.meta.url), {
    startedAt,
    pollers,
    windowS,
    settleS,
    load: { start: loadStart, end: loadEnd },
    rows,
  });
});
