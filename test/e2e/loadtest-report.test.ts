import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser } from '../support/browser.js';
import { runCorral } from '../support/cli.js';
import { fixtureReport, HOSTILE_PATHS } from '../loadgen/report-fixture.js';

const corral = runCorral;

/** The series colours of the report page (src/loadgen/static/report.js). */
const COLOR = {
  arrived: [0x23, 0x83, 0xe2],
  playing: [0x1f, 0x9e, 0x45],
  requests: [0x7b, 0x4f, 0xc4],
  egress: [0x0f, 0x8b, 0x8d],
  lag: [0xc2, 0x41, 0x0c],
} as const;

interface PixelCounts {
  width: number;
  height: number;
  /** Pixels that differ from the top-left one (the background). */
  drawn: number;
  /** Pixels within a small distance of each colour asked for. */
  near: number[];
}

/** Counts pixels of a canvas (by selector) or of a PNG (data URL), in the page. */
function countPixels(page: Page, what: { selector: string } | { png: string }, colors: number[][]) {
  return page.evaluate(
    async ({ what, colors }): Promise<PixelCounts> => {
      let canvas: HTMLCanvasElement;
      if ('selector' in what) canvas = document.querySelector(what.selector) as HTMLCanvasElement;
      else {
        const img = new Image();
        img.src = what.png;
        await img.decode();
        canvas = document.createElement('canvas');
        canvas.width = img.naturalWidth;
        canvas.height = img.naturalHeight;
        canvas.getContext('2d')!.drawImage(img, 0, 0);
      }
      const { width, height } = canvas;
      const d = canvas.getContext('2d')!.getImageData(0, 0, width, height).data;
      const near = colors.map(() => 0);
      let drawn = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (d[i] !== d[0] || d[i + 1] !== d[1] || d[i + 2] !== d[2] || d[i + 3] !== d[3]) drawn++;
        if (d[i + 3]! < 200) continue;
        colors.forEach((c, k) => {
          if (Math.abs(d[i]! - c[0]!) + Math.abs(d[i + 1]! - c[1]!) + Math.abs(d[i + 2]! - c[2]!) < 30)
            near[k]!++;
        });
      }
      return { width, height, drawn, near };
    },
    { what, colors },
  );
}

/** Width and height from a PNG's IHDR, after checking the signature and the chunk order. */
function pngSize(b: Buffer): { width: number; height: number } {
  assert.ok(b.length > 100, `a PNG of ${b.length} bytes`);
  assert.deepEqual([...b.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(b.readUInt32BE(8), 13, 'IHDR length');
  assert.equal(b.toString('latin1', 12, 16), 'IHDR');
  assert.equal(b.toString('latin1', b.length - 8, b.length - 4), 'IEND');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

const fmt = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 2 });

/**
 * The load-test report page in headless Chromium: a saved report (a fixture shaped like a real run,
 * with path strings that try to break out of the page's JSON) rendered by
 * `corral loadtest --from FILE --html FILE --png FILE`, then opened from the file.
 */
describe('loadtest report page in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-report-e2e-'));
  const files = { json: join(dir, 'r.json'), html: join(dir, 'r.html'), png: join(dir, 'main.png') };
  const report = fixtureReport(HOSTILE_PATHS);
  let browser: Browser;

  before(async () => {
    writeFileSync(files.json, JSON.stringify(report, null, 2));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('corral loadtest --from writes the page and the PNG', async () => {
    const r = await corral(['loadtest', '--from', files.json, '--html', files.html, '--png', files.png]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /corral loadtest: http:\/\/127\.0\.0\.1:29405/);
    assert.match(r.stdout, new RegExp(`main chart: ${files.png}`));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...report, series: 'none' }));
    const b = await corral(['loadtest', '--from', bad, '--html', join(dir, 'bad.html')]);
    assert.equal(b.code, 2);
    assert.match(
      b.stderr,
      /CONFIG_INVALID: .*bad\.json is not a corral loadtest report.*report\.series is not an array/,
    );
  });

  it('draws every chart from the embedded report, offline, with no errors, and shows every table', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(files.html).href;
    try {
      await page.goto(url, { waitUntil: 'load' });
      await page.waitForFunction(
        () => {
          const s = (window as unknown as { corralReport?: { ready: boolean; error: string | null } })
            .corralReport;
          return s !== undefined && (s.ready || s.error !== null);
        },
        undefined,
        { timeout: 20_000 },
      );
      const state = await page.evaluate(() => {
        const w = window as unknown as {
          corralReport: { ready: boolean; error: string | null };
          pwned?: number;
        };
        return { ready: w.corralReport.ready, error: w.corralReport.error, pwned: w.pwned ?? null };
      });
      assert.deepEqual(state, { ready: true, error: null, pwned: null });
      assert.deepEqual(requests, [url], 'the page fetched nothing but itself');

      // The page parsed the embedded JSON back to the report, hostile paths included.
      const embedded = await page.evaluate(() =>
        JSON.parse(document.getElementById('corral-report')!.textContent!),
      );
      assert.deepEqual(embedded, report);

      // Charts: titles, legends with every series, a canvas with the series colours drawn on it.
      const titles = await page.locator('.u-title').allTextContents();
      assert.deepEqual(titles, [
        'Viewers over time, with requests/s',
        'Egress to the viewers (Mbit/s)',
        'Load generator: event-loop delay p99 (ms) and busy share (%)',
      ]);
      const legend = (await page.locator('#chart-main .u-legend').textContent()) ?? '';
      for (const s of ['arrived', 'playing', 'stalled', 'failed', 'requests/s'])
        assert.ok(legend.includes(s), s);
      assert.equal(await page.locator('#chart-main canvas').count(), 1);
      const main = await countPixels(page, { selector: '#chart-main canvas' }, [
        [...COLOR.arrived],
        [...COLOR.playing],
        [...COLOR.requests],
      ]);
      assert.ok(main.width > 600 && main.height > 300, `main canvas ${main.width}x${main.height}`);
      assert.ok(main.drawn > 5000, `main chart: ${main.drawn} drawn pixels`);
      for (const [i, name] of ['arrived', 'playing', 'requests/s'].entries()) {
        assert.ok(main.near[i]! > 50, `main chart: ${main.near[i]} pixels of the ${name} line`);
      }
      const egress = await countPixels(page, { selector: '#chart-egress canvas' }, [[...COLOR.egress]]);
      assert.ok(egress.near[0]! > 50, `egress chart: ${egress.near[0]} pixels of its line`);
      const lag = await countPixels(page, { selector: '#chart-loadgen canvas' }, [[...COLOR.lag]]);
      assert.ok(lag.near[0]! > 50, `load generator chart: ${lag.near[0]} pixels of its line`);

      // Tables: every one present, with figures from the report.
      const tables = await page.evaluate(() =>
        Object.fromEntries(
          Array.from(document.querySelectorAll('table[data-table]')).map((t) => [
            (t as HTMLElement).dataset.table!,
            t.textContent ?? '',
          ]),
        ),
      );
      const r = report;
      const want: Record<string, string[]> = {
        run: [r.options.url, r.startedAt],
        'viewer-mix': [fmt(r.viewers.ll), fmt(r.viewers.plain), '25 %', '75 %'],
        rates: [
          fmt(r.requests.total),
          fmt(r.requests.perSecondAvg),
          fmt(r.requests.perSecondPeak),
          fmt(r.requests.mbitPerSAvg),
        ],
        'requests-by-kind': Object.values(r.requests.byKind).map((k) => fmt(k.count)),
        errors: Object.keys(r.requests.errors),
        'viewer-state': [fmt(r.viewers.peakFollowing), fmt(r.viewers.startedPlaying)],
        origin: [
          fmt(r.origin!.getRequests),
          fmt(r.origin!.perSecond),
          fmt(r.origin!.perSegmentPerRendition!),
        ],
        tiers: r.tiers.flatMap((t) => [
          t.tier,
          fmt(t.requests),
          fmt(t.perSecond),
          `${fmt(Math.round(t.hitRatio! * 1000) / 10)} %`,
        ]),
        edge: [fmt(r.edge.maxFetchesPerObject), fmt(r.edge.results.HIT!)],
        streams: r.stream.map((s) => s.path),
        latency: (['segment', 'part', 'blocking', 'playlist', 'socketQueue'] as const).flatMap((k) => [
          fmt(r.latencyMs[k].p50!),
          fmt(r.latencyMs[k].p99!),
        ]),
        playback: [fmt(r.playback.rebuffers), fmt(r.playback.stallS), fmt(r.playback.viewersWithRebuffers)],
        renditions: Object.entries(r.renditionMix).flatMap(([k, v]) => [k, fmt(v)]),
        loadgen: r.loadgen.workers.flatMap((w) => [
          `worker ${w.worker}`,
          fmt(w.lagP99Ms),
          `${Math.round(w.busy * 100)} %`,
        ]),
      };
      assert.deepEqual(Object.keys(tables).sort(), Object.keys(want).sort());
      for (const [name, values] of Object.entries(want)) {
        for (const v of values) assert.ok(tables[name]!.includes(v), `table ${name} shows "${v}"`);
      }
      const verdict = await page.locator('.verdict').textContent();
      assert.match(verdict ?? '', /ran out of CPU first: worker 0's event loop was busy 93 %/);
      assert.deepEqual(problems, []);
    } finally {
      await page.close();
    }
  });

  it('the PNG is the main chart, drawn: valid, larger than 100x100, not blank', async () => {
    const png = readFileSync(files.png);
    const { width, height } = pngSize(png);
    assert.ok(width > 100 && height > 100, `PNG ${width}x${height}`);
    const page = await browser.newPage();
    try {
      const px = await countPixels(page, { png: `data:image/png;base64,${png.toString('base64')}` }, [
        [...COLOR.arrived],
        [...COLOR.playing],
        [...COLOR.requests],
      ]);
      assert.equal(px.width, width);
      assert.ok(
        px.drawn > 0.02 * width * height,
        `${px.drawn} of ${width * height} pixels differ from the background`,
      );
      for (const [i, name] of ['arrived', 'playing', 'requests/s'].entries()) {
        assert.ok(px.near[i]! > 50, `PNG: ${px.near[i]} pixels of the ${name} line`);
      }
    } finally {
      await page.close();
    }
  });
});
