/**
 * Phase 1: ingest-to-screen latency as headless Chromium sees it. `bin/corral start` (ABR ladder
 * on, the default) serves the player page on its viewer port, i.e. through its edge -> shield ->
 * origin, and the page's hls.js state (window.corral) is sampled every 250 ms once playback starts.
 */
import type { Browser } from 'playwright-core';
import { loadavg } from '../lib/loadavg.js';
import { broadcast } from '../lib/media.js';
import { treeCpuSeconds } from '../lib/procfs.js';
import { sleep, type Procs } from '../lib/procs.js';
import { percentile } from '../lib/stats.js';
import { livePlaylist, startCorral } from './corral.js';
import { round, until } from './util.js';

interface PlayerState {
  playing: boolean;
  stalls: number;
  switches: number;
  level: number;
  levels: Array<{ height?: number; bitrate: number }>;
  latency: number | null;
  ingestToScreen: number | null;
  bufferS: number;
  lowLatency: boolean;
  currentTime?: number;
  errors: string[];
}

export interface PlayerResult {
  mode: 'push' | 'ttl';
  seconds: number;
  samples: number;
  ingestToScreenS: { p50: number; p95: number; min: number; max: number };
  latencyS: { p50: number; p95: number; min: number; max: number };
  stalls: number;
  levelSwitches: number;
  /** Share of samples spent on each rendition, by height ("audio" for an audio-only level). */
  levelShare: Record<string, number>;
  /** The ladder hls.js was offered, as "height@kb/s". */
  ladder: string[];
  lowLatency: boolean;
  /** Seconds of media played during the window: ~seconds when playback kept up. */
  playedS: number;
  startupS: number;
  bufferS: { p50: number; min: number };
  hlsErrors: Record<string, number>;
  /** CPU of corral start and its ffmpeg transcoders over the window, cores. */
  corralCpuCores: number;
  /** Warnings from corral's ABR controller (rungs dropped or retired for lack of CPU). */
  transcodeDegraded: string[];
  load: { before: number[]; after: number[] };
  serverLog: string[];
}

/** One pino line as "msg (reason / rung)". */
function brief(line: string): string {
  try {
    const j = JSON.parse(line) as Record<string, unknown>;
    const why = [j.reason, j.rung].filter((x) => typeof x === 'string').join(', ');
    return `${String(j.msg)}${why ? ` (${why})` : ''}`;
  } catch {
    return line.slice(0, 200);
  }
}

const stats = (xs: number[]) => ({
  p50: round(percentile(xs, 50)),
  p95: round(percentile(xs, 95)),
  min: round(Math.min(...xs)),
  max: round(Math.max(...xs)),
});

export async function measurePlayer(
  procs: Procs,
  browser: Browser,
  o: { mode: 'push' | 'ttl'; input: string; seconds: number },
): Promise<PlayerResult> {
  const before = loadavg();
  const corral = await startCorral(procs, ['--freshness', o.mode]);
  const caster = broadcast(procs, o.input, `${corral.rtmp}/live/lat`);
  const page = await browser.newPage();
  try {
    // The ladder's playlists must exist before the page picks the stream up from /streams.json.
    await until(
      'three segments in the master playlist',
      () => livePlaylist(`${corral.viewer}/live/lat/src/index.m3u8`, 3),
      45_000,
    );
    const t0 = performance.now();
    await page.goto(`${corral.viewer}/?stream=lat`);
    await page.waitForFunction(
      () => (window as unknown as { corral: PlayerState }).corral.playing,
      undefined,
      {
        timeout: 30_000,
      },
    );
    const startupS = (performance.now() - t0) / 1000;
    const read = () =>
      page.evaluate(
        () =>
          JSON.parse(JSON.stringify((window as unknown as { corral: PlayerState }).corral)) as PlayerState,
      );
    const first = await read();
    const cpu0 = treeCpuSeconds(corral.child.pid);
    const wall0 = performance.now();
    const samples: PlayerState[] = [];
    const end = wall0 + o.seconds * 1000;
    for (let next = wall0 + 250; next <= end; next += 250) {
      await sleep(Math.max(0, next - performance.now()));
      samples.push(await read());
      if (!procs.running(caster)) throw new Error(`broadcaster stopped early:\n${caster.tail.join('\n')}`);
    }
    const cpu1 = treeCpuSeconds(corral.child.pid);
    const corralCpuCores = round((cpu1 - cpu0) / ((performance.now() - wall0) / 1000), 3);
    const last = samples[samples.length - 1]!;
    const its = samples.map((s) => s.ingestToScreen).filter((x): x is number => typeof x === 'number');
    const lat = samples.map((s) => s.latency).filter((x): x is number => typeof x === 'number');
    const levelShare: Record<string, number> = {};
    for (const s of samples) {
      const l = s.levels[s.level];
      const key =
        l === undefined ? '?' : `${l.height ? `${l.height}p` : 'audio'}@${Math.round(l.bitrate / 1000)}`;
      levelShare[key] = (levelShare[key] ?? 0) + 1;
    }
    for (const k of Object.keys(levelShare)) levelShare[k] = round(levelShare[k]! / samples.length);
    const hlsErrors: Record<string, number> = {};
    for (const e of last.errors) hlsErrors[e] = (hlsErrors[e] ?? 0) + 1;
    return {
      mode: o.mode,
      seconds: o.seconds,
      samples: samples.length,
      ingestToScreenS: stats(its),
      latencyS: stats(lat),
      // Counted from the first `playing` event, as the player page counts them.
      stalls: last.stalls - first.stalls,
      levelSwitches: last.switches - first.switches,
      levelShare,
      ladder: last.levels.map(
        (l) => `${l.height ? `${l.height}p` : 'audio'}@${Math.round(l.bitrate / 1000)}`,
      ),
      lowLatency: last.lowLatency,
      playedS: round((last.currentTime ?? 0) - (first.currentTime ?? 0), 1),
      startupS: round(startupS, 1),
      bufferS: {
        p50: round(
          percentile(
            samples.map((s) => s.bufferS),
            50,
          ),
        ),
        min: round(Math.min(...samples.map((s) => s.bufferS))),
      },
      hlsErrors,
      corralCpuCores,
      transcodeDegraded: corral.log
        .filter((l) => /transcoding degraded|rendition retired/.test(l))
        .map(brief),
      load: { before, after: loadavg() },
      serverLog: corral.log.slice(0, 20),
    };
  } finally {
    await page.close().catch(() => {});
    await procs.stop(caster, 'SIGINT', 3000);
    await procs.stop(corral.child, 'SIGTERM', 5000);
  }
}
