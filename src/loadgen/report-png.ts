import { writeFile } from 'node:fs/promises';
import { CorralError } from '../util/errors.js';
import { MAIN_CHART_ID } from './report-html.js';

/** Debian's Chromium unless CHROMIUM_PATH names another. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless, and nothing that reaches for the network or a GPU (a sandboxed, offline machine). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const TIMEOUT_MS = 30_000;

/**
 * A PNG of the report page's main chart: opens the page in headless Chromium (playwright-core,
 * loaded only here so the rest of corral runs without it), waits for the charts to be drawn and
 * screenshots the main chart's element. Every request the page makes is refused: it is
 * self-contained, and must stay so.
 */
export async function renderReportPng(html: string, opts: { executablePath?: string } = {}): Promise<Buffer> {
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch (e) {
    throw new CorralError(
      'CONFIG_INVALID',
      '--png needs the playwright-core package (npm install playwright-core)',
      {
        cause: e,
      },
    );
  }
  const executablePath = opts.executablePath ?? CHROMIUM_PATH;
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  try {
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
      timeout: TIMEOUT_MS,
    });
  } catch (e) {
    throw new CorralError(
      'PROCESS_SPAWN',
      `--png could not start Chromium at ${executablePath} (set CHROMIUM_PATH): ${(e as Error).message.split('\n')[0]}`,
      { cause: e },
    );
  }
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    page.setDefaultTimeout(TIMEOUT_MS);
    await page.route('**/*', (route) => route.abort());
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.setContent(html, { waitUntil: 'load' });
    const state = await page
      .waitForFunction(
        () => {
          const s = (window as unknown as { corralReport?: { ready: boolean; error: string | null } })
            .corralReport;
          return s !== undefined && (s.ready || s.error !== null)
            ? { ready: s.ready, error: s.error }
            : false;
        },
        undefined,
        { timeout: TIMEOUT_MS },
      )
      .then((h) => h.jsonValue() as Promise<{ ready: boolean; error: string | null }>);
    if (!state.ready) {
      throw new CorralError(
        'PROCESS_SPAWN',
        `the report page did not draw its charts: ${state.error ?? errors.join('; ')}`,
      );
    }
    return await page.locator(`#${MAIN_CHART_ID}`).screenshot({ type: 'png', animations: 'disabled' });
  } finally {
    await browser.close();
  }
}

/** renderReportPng, written to a file. */
export async function writeReportPng(html: string, file: string): Promise<void> {
  await writeFile(file, await renderReportPng(html));
}
