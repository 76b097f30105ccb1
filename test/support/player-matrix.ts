import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { startTestServer, until, getText, type TestServer } from './server.js';
import { FFMPEG, testPatternArgs } from './ffmpeg.js';
import type { BrowserPlayer } from './player-host.js';
import { playWithFfmpeg, playWithGstreamer } from './cli-players.js';

/**
 * The player matrix of issue 10 item 4, shared by the test/e2e/player-matrix-*.test.ts files (split
 * so each file stays inside the e2e per-file timeout). Every run is 30 s of live that includes a
 * broadcaster reconnect at 15 s, so the reconnect case costs no extra time.
 */
export const PLAY_S = 30;
export const RECONNECT_AT_S = 15;
/** The publisher is back this long after it dropped (the issue allows up to 2 s). */
const RECONNECT_GAP_MS = 1500;
/**
 * After a reconnect the source has sent nothing for the gap plus the RTMP handshake, the encoder's
 * start-up and the first part or segment: ~3-4 s. A player holding less than that in its buffer
 * (every LL player: that is what low latency means) must run dry once, for that long plus its own
 * retry timing (hls.js's blocking-reload timeouts add up to ~2 s). This window is where that one
 * bounded rebuffer is allowed; a player that never recovers still fails.
 */
const RECONNECT_WINDOW_S = 12;
const RECONNECT_MAX_REBUFFER_MS = 8000;
const FPS = 30;

/** A live encoder on the test server that can drop its connection and come back, as OBS does. */
export class Broadcaster {
  #proc: ChildProcess | undefined;
  constructor(
    readonly url: string,
    readonly gopS: number,
  ) {}
  start() {
    this.#proc = spawn(FFMPEG, testPatternArgs(this.url, { seconds: 900, gopSeconds: this.gopS, fps: FPS }), {
      stdio: 'ignore',
    });
  }
  async reconnect() {
    this.#proc?.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, RECONNECT_GAP_MS));
    this.start();
  }
  stop() {
    this.#proc?.kill('SIGKILL');
  }
}

export interface MatrixSource {
  server: TestServer;
  caster: Broadcaster;
  /** The multivariant playlist, as a viewer gets it from streams.json. */
  playlist: string;
  close: () => Promise<void>;
}

/** One corral (all-in-one, viewers through edge and shield) with a live source of `gopS` GOPs. */
export async function startMatrixSource(gopS: number): Promise<MatrixSource> {
  const server = await startTestServer();
  const name = `live/gop${gopS}`;
  const caster = new Broadcaster(`${server.rtmp}/${name}`, gopS);
  caster.start();
  await until(
    'three segments',
    async () => {
      const r = await getText(`${server.viewer}/${name}/src/index.m3u8`);
      return r.status === 200 && (r.text.match(/#EXTINF/g)?.length ?? 0) >= 3 ? true : undefined;
    },
    30_000,
  );
  return {
    server,
    caster,
    playlist: `${server.viewer}/${name}/index.m3u8`,
    close: async () => {
      caster.stop();
      await server.server.close();
    },
  };
}

interface Probe {
  playing: boolean;
  stalls: number;
  rebufferMs: number;
  seeks: number;
  currentTime: number;
  frames: number;
  dropped: number;
  frameCounterResets: number;
  seekedOverS: number;
  frozenVideoS: number;
  ingestToScreen: number | null;
  lowLatency: boolean | null;
  errors: string[];
  log: Array<{ at: number; kind: string; detail: unknown }>;
  trace: string[];
}

export interface BrowserCase {
  player: BrowserPlayer;
  /** Configuration over the player's defaults: pinned workarounds only, each with its reason. */
  config: Record<string, unknown>;
  /** Stalls allowed outside the reconnect: 0 unless a player bug is documented where this is set. */
  maxSteadyStalls?: number;
  /** Stalls allowed across the reconnect: 2 unless a player bug is documented where this is set. */
  maxReconnectStalls?: number;
}

function p50(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * A stall a viewer sees: a `waiting` that lasts at least this long (or never ends). Players emit
 * `waiting` for gaps of a frame or two at a part boundary too (video.js: 28 ms once in a run),
 * which nobody sees; those are counted in the rebuffer time, not as stalls.
 */
const STALL_MIN_MS = 100;

/** Stalls and rebuffer time from the page's event log, split by whether they began in [from, to). */
function stallsIn(log: Probe['log'], from: number, to: number) {
  let stalls = 0;
  let rebufferMs = 0;
  let waiting = false;
  for (const e of log) {
    if (e.at < from || e.at >= to) continue;
    if (e.kind === 'waiting') waiting = true;
    if (e.kind === 'playing') {
      const ms = Number(e.detail);
      rebufferMs += ms;
      if (waiting && ms >= STALL_MIN_MS) stalls++;
      waiting = false;
    }
  }
  if (waiting) stalls++;
  return { stalls, rebufferMs };
}

/** Play one browser player for PLAY_S seconds across a reconnect; report a row and assert on it. */
export async function runBrowserCase(
  browser: Browser,
  hostUrl: string,
  src: MatrixSource,
  gopS: number,
  c: BrowserCase,
  t: { diagnostic: (s: string) => void; todo: (why: string) => void },
): Promise<void> {
  const diagnostic = (s: string) => t.diagnostic(s);
  const context = await browser.newContext();
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  try {
    const q = new URLSearchParams({ src: src.playlist, config: JSON.stringify(c.config) });
    await page.goto(`${hostUrl}/${c.player}.html?${q}`);
    await page.waitForFunction(() => (window as unknown as { probe: Probe }).probe.playing, undefined, {
      timeout: 25_000,
    });
    // Each read takes the page's event log with it, so no event is counted twice.
    const read = () =>
      page.evaluate(() => {
        const p = (window as unknown as { probe: Probe }).probe;
        const copy = JSON.parse(JSON.stringify(p)) as Probe;
        p.log.length = 0;
        return copy;
      });
    const start = await read();
    const t0 = Date.now();
    const latency: number[] = [];
    const log: Probe['log'] = [...start.log];
    let reconnectAt = Infinity;
    let reconnected: Promise<void> | undefined;
    let end = start;
    for (let i = 1; i <= PLAY_S; i++) {
      await page.waitForTimeout(1000);
      if (i === RECONNECT_AT_S) {
        reconnectAt = Date.now();
        reconnected = src.caster.reconnect();
      }
      end = await read();
      log.push(...end.log);
      if (typeof end.ingestToScreen === 'number') latency.push(end.ingestToScreen);
    }
    await reconnected;
    const windowEnd = reconnectAt + RECONNECT_WINDOW_S * 1000;
    const steady = {
      stalls: stallsIn(log, t0, reconnectAt).stalls + stallsIn(log, windowEnd, Infinity).stalls,
    };
    const across = stallsIn(log, reconnectAt, windowEnd);
    const played = end.currentTime - start.currentTime;
    const frames = end.frames - start.frames;
    const seekedOver = end.seekedOverS - start.seekedOverS;
    const lat = p50(latency);
    diagnostic(
      `row ${JSON.stringify({
        player: c.player,
        gopS,
        steadyStalls: steady.stalls,
        reconnectStalls: across.stalls,
        reconnectRebufferMs: across.rebufferMs,
        totalRebufferMs: end.rebufferMs - start.rebufferMs,
        seeks: end.seeks - start.seeks,
        playedS: +played.toFixed(1),
        frames,
        dropped: end.dropped,
        frameCounterResets: end.frameCounterResets,
        seekedOverS: +seekedOver.toFixed(2),
        frozenVideoS: +end.frozenVideoS.toFixed(2),
        latencyP50: lat === null ? null : +lat.toFixed(2),
        lowLatency: end.lowLatency,
        config: c.config,
        errors: [...new Set(end.errors)].slice(0, 6),
      })}`,
    );
    if (steady.stalls + across.stalls > 0) diagnostic(`log ${JSON.stringify(log.slice(-30))}`);
    // CI keeps only the failed assertion's message, so each message carries the figures that explain it.
    const why =
      `(${c.player}: played ${played.toFixed(1)} s, ${frames} frames, ${end.dropped} dropped, ` +
      `rebuffer ${across.rebufferMs} ms across / ${end.rebufferMs - start.rebufferMs} ms in all, ` +
      `${end.seeks - start.seeks} seeks over ${seekedOver.toFixed(2)} s, video frozen up to ` +
      `${end.frozenVideoS.toFixed(2)} s, ${end.frameCounterResets} counter resets, ` +
      `errors ${JSON.stringify([...new Set(end.errors)].slice(0, 4)).slice(0, 600)})`;
    const assertRow = (): void => {
      assert.deepEqual(pageErrors, [], `no script errors on the page ${why}`);
      assert.ok(
        steady.stalls <= (c.maxSteadyStalls ?? 0),
        `${steady.stalls} stalls outside the reconnect (allowed ${c.maxSteadyStalls ?? 0}) ${why}`,
      );
      assert.ok(
        across.stalls <= (c.maxReconnectStalls ?? 2),
        `${across.stalls} stalls across the reconnect (allowed ${c.maxReconnectStalls ?? 2}) ${why}`,
      );
      assert.ok(
        across.rebufferMs <= RECONNECT_MAX_REBUFFER_MS,
        `rebuffered ${across.rebufferMs} ms across the reconnect ${why}`,
      );
      assert.ok(played >= PLAY_S - 5, `played ${played.toFixed(1)} s of ${PLAY_S} ${why}`);
      assert.ok(frames >= (PLAY_S - 5) * FPS * 0.9, `decoded ${frames} frames ${why}`);
      assert.ok(
        latency.length >= PLAY_S / 2,
        `ingest-to-screen in ${latency.length} of ${PLAY_S} samples ${why}`,
      );
      assert.ok(lat! > 0 && lat! < 15, `ingest-to-screen p50 ${lat} s ${why}`);
      const fatal = end.errors.filter((e) => /fatal|severity 2|media element|video\.js \d/.test(e));
      assert.deepEqual(fatal, [], `no fatal player errors ${why}`);
    };
    try {
      assertRow();
    } catch (e) {
      const trace = await page.evaluate(() => (window as unknown as { probe: Probe }).probe.trace);
      if (trace.length > 0) diagnostic(`player log, last ${trace.length} lines:`);
      for (const line of trace) diagnostic(line);
      throw e;
    }
  } finally {
    await context.close();
  }
}

/**
 * ffmpeg's HLS demuxer does not offset timestamps at EXT-X-DISCONTINUITY, so where the new session's
 * first frame lands on the old session's last timestamp its muxer logs this once; ffmpeg drops or
 * nudges that packet and decoding goes on. Counted in the row, not failed.
 */
const FFMPEG_DISCONTINUITY_NOTE = /non monotonically increasing dts/;

/** ffmpeg and GStreamer side by side (both light) for PLAY_S seconds across a reconnect. */
export async function runCliPair(src: MatrixSource, gopS: number, diagnostic: (s: string) => void) {
  let reconnectAt = Infinity;
  const reconnect = new Promise<void>((resolve) =>
    setTimeout(() => {
      reconnectAt = Date.now();
      void src.caster.reconnect().then(resolve);
    }, RECONNECT_AT_S * 1000),
  );
  const [ff, gst] = await Promise.all([
    playWithFfmpeg(src.playlist, PLAY_S * 1000, (2 * gopS + 1) * 1000),
    playWithGstreamer(src.playlist, PLAY_S * 1000),
    reconnect,
  ]);
  const windowEnd = reconnectAt + RECONNECT_WINDOW_S * 1000;
  const inWindow = (at: number) => at >= reconnectAt && at < windowEnd;
  const rows = (
    [
      ['ffmpeg', ff],
      ['gstreamer', gst],
    ] as const
  ).map(([name, r]) => {
    const across = r.stalls.filter((s) => inWindow(s.at));
    const row = {
      player: name,
      gopS,
      steadyStalls: r.stalls.length - across.length,
      reconnectStalls: across.length,
      reconnectStallMs: across.reduce((n, s) => n + s.ms, 0),
      steadyRebuffers: r.rebuffers.filter((at) => !inWindow(at)).length,
      longestGapMs: r.longestGapMs,
      playedS: +r.playedS.toFixed(1),
      speed: +r.speed.toFixed(2),
      discontinuityNotes: r.errors.filter((e) => FFMPEG_DISCONTINUITY_NOTE.test(e)).length,
      errors: r.errors.filter((e) => !FFMPEG_DISCONTINUITY_NOTE.test(e)).slice(0, 6),
    };
    diagnostic(`row ${JSON.stringify(row)}`);
    return row;
  });
  for (const r of rows) {
    const name = r.player;
    assert.deepEqual(r.errors, [], `${name}: no errors`);
    assert.equal(r.steadyStalls, 0, `${name}: ${r.steadyStalls} stalls outside the reconnect`);
    // steadyRebuffers (GStreamer buffering messages) is reported, not asserted: playbin3 posts one
    // when its queue dips without the picture stopping; the render-gap stalls above are the test.
    assert.ok(r.reconnectStalls <= 1, `${name}: ${r.reconnectStalls} stalls across the reconnect`);
    assert.ok(r.reconnectStallMs <= RECONNECT_MAX_REBUFFER_MS, `${name}: ${r.reconnectStallMs} ms stalled`);
    assert.ok(r.discontinuityNotes <= 2, `${name}: ${r.discontinuityNotes} timestamp warnings`);
    // Starting at the live edge costs a moment of the 30 s before the first frame.
    assert.ok(r.playedS >= PLAY_S - 5, `${name}: played ${r.playedS} s of ${PLAY_S}`);
    // ffmpeg decodes its start-up backlog at once, so only the rendering client has a speed to check.
    if (name === 'gstreamer') assert.ok(r.speed > 0.9 && r.speed < 1.2, `${name}: speed ${r.speed}x`);
  }
}
