/**
 * Memory against the window (issue 13, item 4): `corral start` with one 720p ladder stream for M
 * minutes, while a walker fetches through the edge every object each media playlist lists (every
 * rendition's segments, parts and init), so the edge, the shield and the origin all hold all of
 * it: the most one stream can make the process keep. Every 30 s it compares
 *  - window bytes: what the playlists list right now (segments, parts and init of every
 *    rendition, each counted once at its fetched size), and askable bytes: those plus what left
 *    the playlists less than the availability time ago (package.availabilityS, 30 s), which a
 *    viewer may still ask for (RFC 8216 6.2.2) and every tier therefore keeps;
 *  - buffer bytes: what corral holds in Buffers (V8 external memory: every Buffer once, however
 *    many tiers refer to it), and each store's own count (which counts a shared body per tier);
 *  - RSS, the process's whole footprint (code, heap and allocator included).
 *
 *   npx tsx bench/memory/run.ts [--minutes 30] [--share true|false] [--quick]
 *
 * `--share false` runs with `tiers.shareBodies` off: each tier keeps its own copy. Loopback only,
 * bounded by a global deadline; corral, the broadcaster and the temp dir go on the way out.
 * Results: a table on stdout and bench/memory/last-run.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseMediaPlaylist, parsePlaylist } from '../../src/hls/index.js';
import { testPatternArgs } from '../../test/support/ffmpeg.js';
import { startCorral } from '../lib/corral.js';
import { numberFlag as num } from '../lib/flags.js';
import { startBench } from '../lib/harness.js';
import { loadavg } from '../lib/loadavg.js';
import { untilSegments } from '../lib/hls.js';
import { FFMPEG } from '../lib/media.js';
import { rssBytes, rssParts } from '../lib/procfs.js';
import { sleep } from '../lib/procs.js';
import { writeResults } from '../lib/results.js';
import { round, scrape, sum } from '../latency/util.js';

const { values: flags } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    share: { type: 'string', default: 'true' },
    size: { type: 'string', default: '1280x720' },
    kbps: { type: 'string', default: '2500' },
    quick: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (flags.help) {
  console.log(`usage: npx tsx bench/memory/run.ts [flags]
  --minutes N   how long the stream runs (30)
  --share B     true: tiers keep one copy of each body (tiers.shareBodies, the default); false: one each
  --size WxH    the broadcaster's picture (1280x720)
  --kbps N      the broadcaster's video bit rate, kbit/s (2500)
  --quick       2 minutes: a smoke run`);
  process.exit(0);
}

const minutes = flags.quick ? 2 : num(flags.minutes, 'minutes', 1, 240);
const share = flags.share !== 'false';
const size = /^\d+x\d+$/.test(flags.size ?? '') ? flags.size! : '1280x720';
const kbps = num(flags.kbps, 'kbps', 50, 20_000);
const SAMPLE_S = 30;
/** corral's package.availabilityS default: how long an object stays askable after it left. */
const AVAILABILITY_S = 30;
const durationS = minutes * 60;
const mb = (b: number) => round(b / 2 ** 20, 1);

const { procs, dir, run } = startBench({ name: 'memory', budgetS: durationS + 240 });

interface Sample {
  t: number;
  windowMb: number;
  windowObjects: number;
  askableMb: number;
  externalMb: number;
  heapUsedMb: number;
  /** What V8 has reserved for its heap (used or not): RSS growth beside a flat figure here is the allocator's. */
  heapTotalMb: number;
  rssMb: number;
  rssAnonMb: number;
  rssFileMb: number;
  storeMb: Record<string, number>;
  sharedBodies: number;
  sharedMb: number;
  externalOverWindow: number;
  externalOverAskable: number;
}

/**
 * Every media playlist, polled through the edge once a second; every object it lists fetched once
 * (through the edge, so every tier keeps it) and remembered with its size while it is listed.
 */
class Walker {
  readonly #base: string;
  readonly #sizes = new Map<string, number>();
  /** Objects no longer listed, with when they left: askable until the availability time ends. */
  readonly #left = new Map<string, number>();
  #media: string[] = [];
  #listed = new Set<string>();
  fetched = 0;
  failed = 0;

  constructor(base: string) {
    this.#base = base;
  }

  async start(multivariant: string): Promise<void> {
    const text = await (await fetch(this.#base + multivariant)).text();
    const p = parsePlaylist(text);
    if (p.kind !== 'multivariant') throw new Error('not a multivariant playlist');
    const dirOf = multivariant.slice(0, multivariant.lastIndexOf('/') + 1);
    const uris = [...p.variants.map((v) => v.uri), ...p.renditions.flatMap((r) => (r.uri ? [r.uri] : []))];
    this.#media = [...new Set(uris)].map((u) => dirOf + u);
  }

  get windowBytes(): number {
    let n = 0;
    for (const u of this.#listed) n += this.#sizes.get(u) ?? 0;
    return n;
  }

  get askableBytes(): number {
    let n = this.windowBytes;
    for (const u of this.#left.keys()) n += this.#sizes.get(u) ?? 0;
    return n;
  }

  get windowObjects(): number {
    return this.#listed.size;
  }

  async poll(): Promise<void> {
    const listed = new Set<string>();
    for (const m of this.#media) {
      const r = await fetch(this.#base + m, { signal: AbortSignal.timeout(5000) });
      if (!r.ok) continue;
      const p = parseMediaPlaylist(await r.text());
      const dirOf = m.slice(0, m.lastIndexOf('/') + 1);
      for (const s of p.segments) {
        if (s.map !== undefined) listed.add(dirOf + s.map);
        listed.add(dirOf + s.uri);
        for (const part of s.parts) listed.add(dirOf + part.uri);
      }
      for (const part of p.openParts ?? []) listed.add(dirOf + part.uri);
    }
    for (const u of listed) {
      if (this.#sizes.has(u)) continue;
      try {
        const r = await fetch(this.#base + u, { signal: AbortSignal.timeout(5000) });
        const body = Buffer.from(await r.arrayBuffer());
        if (r.ok) {
          this.#sizes.set(u, body.length);
          this.fetched++;
        } else this.failed++;
      } catch {
        this.failed++;
      }
    }
    // What left the playlists is remembered for the availability time, then forgotten: the maps
    // stay as small as what can be asked for.
    const now = performance.now();
    for (const u of this.#listed) if (!listed.has(u)) this.#left.set(u, now);
    for (const [u, at] of this.#left) {
      if (listed.has(u) || now - at > AVAILABILITY_S * 1000) this.#left.delete(u);
    }
    for (const u of this.#sizes.keys()) if (!listed.has(u) && !this.#left.has(u)) this.#sizes.delete(u);
    this.#listed = listed;
  }
}

void run(async () => {
  const startedAt = new Date().toISOString();
  const configFile = join(dir, 'corral.json');
  writeFileSync(configFile, JSON.stringify({ tiers: { shareBodies: share } }));
  const corral = await startCorral(procs, { args: ['--config', configFile] });
  const caster = procs.start(
    'broadcaster',
    FFMPEG,
    testPatternArgs(`${corral.rtmp}/live/mem`, {
      seconds: durationS + 600,
      size,
      realtime: true,
      videoKbps: kbps,
      audioKbps: 128,
    }),
  );
  const mv = '/live/mem/index.m3u8';
  await untilSegments(
    `${corral.viewer}/live/mem/src/index.m3u8`,
    3,
    'three segments through the edge',
    90_000,
  );
  // The ladder's renditions are listed once the transcoder has produced their first segments.
  await sleep(10_000);
  const walker = new Walker(corral.viewer);
  await walker.start(mv);
  console.log(
    `corral start (tiers.shareBodies ${share}), ${size} at ${kbps} kbit/s; walking ${mv} for ${minutes} min`,
  );
  const samples: Sample[] = [];
  const t0 = performance.now();
  let nextSample = SAMPLE_S;
  while ((performance.now() - t0) / 1000 < durationS) {
    for (const ch of [corral.child, caster]) {
      if (!procs.running(ch)) throw new Error(`${ch.name} died:\n${ch.tail.join('\n')}`);
    }
    await walker.poll().catch(() => walker.failed++);
    const t = (performance.now() - t0) / 1000;
    if (t >= nextSample) {
      nextSample += SAMPLE_S;
      const m = await scrape(`${corral.origin}/metrics`);
      const storeMb: Record<string, number> = { origin: mb(sum(m, 'corral_origin_bytes')) };
      for (const [n, l, v] of await scrape(`${corral.viewer}/metrics`)) {
        if (n === 'corral_cache_store_bytes') storeMb[l.tier ?? '?'] = mb(v);
      }
      const windowBytes = walker.windowBytes;
      const askable = walker.askableBytes;
      const external = sum(m, 'nodejs_external_memory_bytes');
      const rss = rssParts(corral.child.pid);
      const s: Sample = {
        t: round(t, 0),
        windowMb: mb(windowBytes),
        windowObjects: walker.windowObjects,
        askableMb: mb(askable),
        externalMb: mb(external),
        heapUsedMb: mb(sum(m, 'nodejs_heap_size_used_bytes')),
        heapTotalMb: mb(sum(m, 'nodejs_heap_size_total_bytes')),
        rssMb: mb(rssBytes(corral.child.pid)),
        rssAnonMb: mb(rss.anon),
        rssFileMb: mb(rss.file),
        storeMb,
        sharedBodies: sum(m, 'corral_shared_bodies_total'),
        sharedMb: mb(sum(m, 'corral_shared_body_bytes_total')),
        externalOverWindow: windowBytes > 0 ? round(external / windowBytes, 2) : 0,
        externalOverAskable: askable > 0 ? round(external / askable, 2) : 0,
      };
      samples.push(s);
      console.log(
        `  t=${s.t} s window ${s.windowMb} MB (${s.windowObjects} objects), askable ${s.askableMb} MB; buffers ${s.externalMb} MB = ${s.externalOverWindow}x window, ${s.externalOverAskable}x askable; heap ${s.heapUsedMb} of ${s.heapTotalMb} MB; RSS ${s.rssMb} MB (anon ${s.rssAnonMb}, file ${s.rssFileMb}); stores ${JSON.stringify(s.storeMb)}; shared ${s.sharedBodies} bodies / ${s.sharedMb} MB; load ${loadavg()[0]}`,
      );
    }
    await sleep(1000);
  }
  const last = samples.at(-1);
  const secondHalf = samples.slice(Math.floor(samples.length / 2));
  const maxRatio = Math.max(...secondHalf.map((s) => s.externalOverWindow));
  const maxAskable = Math.max(...secondHalf.map((s) => s.externalOverAskable));
  console.log(
    `\n| tiers.shareBodies | minutes | window / askable (MB) | buffers held (MB) | buffers / window (max, 2nd half) | buffers / askable (max, 2nd half) | stores origin / edge (MB) | RSS (MB) | objects fetched |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  if (last) {
    console.log(
      `| ${share} | ${minutes} | ${last.windowMb} / ${last.askableMb} | ${last.externalMb} | ${last.externalOverWindow}x (${maxRatio}x) | ${last.externalOverAskable}x (${maxAskable}x) | ${last.storeMb.origin ?? '-'} / ${last.storeMb.edge ?? '-'} | ${last.rssMb} | ${walker.fetched} (${walker.failed} failed) |`,
    );
  }
  await writeResults(new URL('./last-run.json', import.meta.url), {
    startedAt,
    command: `npx tsx bench/memory/run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    options: { minutes, share, size, kbps },
    samples,
    fetched: walker.fetched,
    failed: walker.failed,
    summary: last
      ? { ...last, maxExternalOverWindowSecondHalf: maxRatio, maxExternalOverAskableSecondHalf: maxAskable }
      : null,
  });
});
