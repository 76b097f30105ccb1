import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Browser } from 'playwright-core';
import { startTestServer, until, type TestServer } from '../support/server.js';
import { FFMPEG, testPatternArgs } from '../support/ffmpeg.js';
import { launchBrowser } from '../support/browser.js';

interface PlayerState {
  stream: string | null;
  playing: boolean;
  stalls: number;
  currentTime?: number;
  errors: string[];
}

/** What a new user sees: the player page on the viewer port lists the stream and plays it. */
describe('player page in headless Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let broadcaster: ChildProcess;
  before(async () => {
    t = await startTestServer();
    broadcaster = spawn(FFMPEG, testPatternArgs(`${t.rtmp}/live/show`, { seconds: 40 }), { stdio: 'ignore' });
    browser = await launchBrowser();
  });
  after(async () => {
    broadcaster.kill('SIGKILL');
    await browser?.close();
    await t.server.close();
  });

  it('lists the live stream and plays it with advancing time', async () => {
    await until('stream listed', async () => {
      const r = await fetch(`${t.viewer}/streams.json`);
      const j = (await r.json()) as { streams: Array<{ name: string }> };
      return j.streams.some((s) => s.name === 'live/show') ? true : undefined;
    });
    // Wait for three segments so hls.js has a live window to start in.
    await until('three segments', async () => {
      const r = await fetch(`${t.viewer}/live/show/src/index.m3u8`);
      return r.ok && ((await r.text()).match(/#EXTINF/g)?.length ?? 0) >= 3 ? true : undefined;
    });
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${t.viewer}/?stream=show`);
    await page.waitForFunction(
      () => (window as unknown as { corral: PlayerState }).corral.playing,
      undefined,
      {
        timeout: 20_000,
      },
    );
    const t0 = await page.evaluate(() => (document.getElementById('video') as HTMLVideoElement).currentTime);
    await page.waitForTimeout(5000);
    const state = await page.evaluate(() => {
      const v = document.getElementById('video') as HTMLVideoElement;
      const c = (window as unknown as { corral: PlayerState }).corral;
      return {
        time: v.currentTime,
        width: v.videoWidth,
        height: v.videoHeight,
        stream: c.stream,
        stalls: c.stalls,
      };
    });
    assert.equal(state.stream, 'live/show');
    assert.equal(state.width, 640);
    assert.equal(state.height, 360);
    assert.ok(state.time - t0 > 3.5, `played ${state.time - t0}s in 5 s`);
    assert.deepEqual(consoleErrors, []);
    const listed = await page.locator('#streams button').allTextContents();
    assert.deepEqual(listed, ['live/show']);
  });
});
