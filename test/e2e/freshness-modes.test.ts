import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { startTestServer, until, getText, type TestServer } from '../support/server.js';
import { FFMPEG, testPatternArgs } from '../support/ffmpeg.js';
import { launchBrowser } from '../support/browser.js';

interface PlayerState {
  playing: boolean;
  stalls: number;
  lowLatency: boolean;
  latency: number | null;
  ingestToScreen: number | null;
  currentTime?: number;
}

const PLAY_S = 30;

/**
 * Both manifest freshness modes play in headless Chromium through edge -> shield -> origin for
 * 30 s without a stall; the latency each mode gives is reported (benchmarks judge it).
 */
describe('push (LL-HLS) and ttl freshness in headless Chromium', () => {
  let browser: Browser | undefined;
  after(async () => {
    await browser?.close();
  });

  for (const mode of ['push', 'ttl'] as const) {
    it(`${mode}: plays ${PLAY_S} s through the tiers without a stall`, async (t) => {
      let server: TestServer | undefined;
      let broadcaster: ChildProcess | undefined;
      try {
        server = await startTestServer({ 'package.freshness': mode });
        const s = server;
        broadcaster = spawn(FFMPEG, testPatternArgs(`${s.rtmp}/live/${mode}`, { seconds: PLAY_S + 30 }), {
          stdio: 'ignore',
        });
        const text = await until('playlist', async () => {
          const r = await getText(`${s.viewer}/live/${mode}/src/index.m3u8`);
          return r.status === 200 && (r.text.match(/#EXTINF/g)?.length ?? 0) >= 3 ? r.text : undefined;
        });
        assert.equal(text.includes('#EXT-X-PART:'), mode === 'push', 'parts only in push mode');
        browser ??= await launchBrowser();
        const page = await browser.newPage();
        const pageErrors: string[] = [];
        page.on('pageerror', (e) => pageErrors.push(e.message));
        await page.goto(`${s.viewer}/?stream=${mode}`);
        await page.waitForFunction(
          () => (window as unknown as { corral: PlayerState }).corral.playing,
          undefined,
          {
            timeout: 20_000,
          },
        );
        const read = () =>
          page.evaluate(() => ({ ...(window as unknown as { corral: PlayerState }).corral }));
        const start = await read();
        const samples: PlayerState[] = [];
        for (let i = 0; i < PLAY_S; i++) {
          await page.waitForTimeout(1000);
          samples.push(await read());
        }
        const end = samples[samples.length - 1]!;
        assert.equal(end.stalls, 0, `${end.stalls} stalls`);
        assert.ok(
          end.currentTime! - start.currentTime! > PLAY_S - 3,
          `played ${end.currentTime! - start.currentTime!} s`,
        );
        assert.equal(end.lowLatency, mode === 'push', 'hls.js used LL-HLS parts exactly in push mode');
        assert.deepEqual(pageErrors, []);
        const lat = samples.map((x) => x.ingestToScreen).filter((x): x is number => typeof x === 'number');
        assert.ok(lat.length > PLAY_S / 2, 'ingest-to-screen latency is shown');
        lat.sort((a, b) => a - b);
        t.diagnostic(
          `${mode}: ingest-to-screen p50 ${lat[Math.floor(lat.length / 2)]!.toFixed(2)} s, ` +
            `latency to live ${end.latency?.toFixed(2)} s, stalls ${end.stalls}`,
        );
        await page.close();
      } finally {
        broadcaster?.kill('SIGKILL');
        await server?.server.close();
      }
    });
  }
});
