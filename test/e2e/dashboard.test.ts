import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { startTestServer, until, type TestServer } from '../support/server.js';
import { FFMPEG, testPatternArgs } from '../support/ffmpeg.js';
import { launchBrowser } from '../support/browser.js';

interface Point {
  streams: number;
  originRps: number;
  ingestMbps: number;
  tiers: Record<string, { rps: number; egressMbps: number; hitRatio: number | null; waiters: number }>;
}

/** The operator's page on the viewer port: every tier's figures and charts, in a real browser. */
describe('dashboard in headless Chromium', () => {
  let t: TestServer;
  let browser: Browser;
  let broadcaster: ChildProcess;
  before(async () => {
    t = await startTestServer();
    broadcaster = spawn(FFMPEG, testPatternArgs(`${t.rtmp}/live/dash`, { seconds: 40 }), { stdio: 'ignore' });
    browser = await launchBrowser();
  });
  after(async () => {
    broadcaster.kill('SIGKILL');
    await browser?.close();
    await t.server.close();
  });

  it('shows live streams, ingest, per-tier traffic and hit ratio, and draws the charts', async () => {
    await until('two segments', async () => {
      const r = await fetch(`${t.viewer}/live/dash/src/index.m3u8`);
      return r.ok && ((await r.text()).match(/#EXTINF/g)?.length ?? 0) >= 2 ? true : undefined;
    });
    // Viewer traffic through the edge, so the tiers have something to show: 20 pollers at once.
    let polling = true;
    const poll = (async () => {
      while (polling) {
        await Promise.all(
          Array.from({ length: 20 }, () =>
            fetch(`${t.viewer}/live/dash/src/index.m3u8`).then((r) => r.arrayBuffer()),
          ),
        );
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    try {
      await page.goto(`${t.viewer}/dashboard`);
      await page.waitForFunction(
        () => {
          const d = (window as unknown as { dashboard: { points: Point[] } }).dashboard;
          const p = d.points.at(-1);
          return d.points.length >= 3 && p !== undefined && p.streams >= 1 && (p.tiers.edge?.rps ?? 0) > 0;
        },
        undefined,
        { timeout: 30_000 },
      );
      const latest = await page.evaluate(
        () => (window as unknown as { dashboard: { latest: Point; tiers: string[] } }).dashboard,
      );
      assert.deepEqual(latest.tiers, ['edge', 'shield', 'origin']);
      const p = latest.latest;
      assert.equal(p.streams, 1);
      assert.ok(p.ingestMbps > 0, 'ingest bitrate from the RTMP byte counter');
      assert.ok(p.tiers.edge!.rps > p.tiers.shield!.rps, 'the edge answers more than reaches the shield');
      assert.ok((p.tiers.edge!.hitRatio ?? 0) > 50, `edge hit ratio ${p.tiers.edge!.hitRatio}`);
      assert.ok(p.tiers.edge!.egressMbps > 0);
      // Five charts, each a drawn canvas; tiles carry the figures.
      assert.equal(await page.locator('.chart canvas').count(), 5);
      assert.match((await page.locator('[data-tile="live streams"]').textContent()) ?? '', /1/);
      const shot = join(mkdtempSync(join(tmpdir(), 'corral-dash-')), 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      assert.ok(statSync(shot).size > 20_000, 'a screenshot with charts, not a blank page');
      assert.deepEqual(errors, []);
    } finally {
      polling = false;
      await poll;
      await page.close();
    }
  });
});
