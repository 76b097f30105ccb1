import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseReport, readReport, renderReportHtml, REPORT_DATA_ID } from '../../src/loadgen/index.js';
import { cpuVerdict, jsonForScript } from '../../src/loadgen/report-html.js';
import { runLoadtestCli } from '../../src/cli/loadtest.js';
import { isCorralError } from '../../src/util/errors.js';
import { fixtureReport, HOSTILE_PATHS } from './report-fixture.js';

const OPEN = `<script type="application/json" id="${REPORT_DATA_ID}">`;

/** What an HTML parser takes as the data element's text: up to the first `</script`. */
function embedded(html: string): string {
  const start = html.indexOf(OPEN);
  assert.ok(start >= 0, 'the JSON script element is in the page');
  const from = start + OPEN.length;
  const end = html.toLowerCase().indexOf('</script', from);
  return html.slice(from, end);
}

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;

describe('renderReportHtml', () => {
  it('embeds the report as JSON that parses back to the same report', () => {
    const r = fixtureReport();
    assert.deepEqual(JSON.parse(embedded(renderReportHtml(r))), r);
  });

  it('keeps hostile path strings inside the data element and escapes them in the tables', () => {
    const r = fixtureReport(HOSTILE_PATHS);
    const html = renderReportHtml(r);
    const text = embedded(html);
    assert.deepEqual(JSON.parse(text), r, 'the element ends where the JSON ends, and round-trips');
    assert.doesNotMatch(text, /[<>&]/);
    // Three script elements (data, uPlot, page script) and not one more.
    assert.equal(count(html, /<script\b/gi), 3);
    assert.equal(count(html, /<\/script/gi), 3);
    assert.equal(count(html, /<!--/g), 0);
    assert.ok(!html.includes('alert(1)</script>'));
    assert.ok(html.includes('/live/x/&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;/index.m3u8'));
    assert.ok(html.includes('&lt;!--&lt;script&gt;window.pwned=1&lt;/script&gt;&amp;amp;&#39;&quot;'));
  });

  it('jsonForScript escapes every character that could end a script element', () => {
    const v = { s: '</script><!-- & \u2028\u2029 >' };
    const out = jsonForScript(v);
    assert.doesNotMatch(out, /[<>&\u2028\u2029]/);
    assert.deepEqual(JSON.parse(out), v);
  });

  it('is self-contained: uPlot inlined, no external URL or file reference', () => {
    const html = renderReportHtml(fixtureReport());
    assert.match(html, /var uPlot=function/, 'uPlot script inlined');
    assert.match(html, /\.uplot\s*\{/, 'uPlot style inlined');
    assert.match(html, /window\.corralReport = state/, 'the page script inlined');
    assert.doesNotMatch(html, /<link\b/i);
    assert.doesNotMatch(html, /<(?:script|img|iframe)\b[^>]*\bsrc=/i);
    assert.doesNotMatch(html, /@import|url\(\s*['"]?(?:https?:)?\/\//i);
  });

  it('has every chart container and every table, with figures from the report', () => {
    const html = renderReportHtml(fixtureReport());
    for (const id of ['chart-main', 'chart-egress', 'chart-loadgen'])
      assert.ok(html.includes(`id="${id}"`), id);
    const tables = [...html.matchAll(/<table data-table="([^"]+)">([\s\S]*?)<\/table>/g)];
    const byName = new Map(tables.map((m) => [m[1]!, m[2]!]));
    const want: Record<string, string[]> = {
      run: ['http://127.0.0.1:29405/live/t/index.m3u8', '2 × 1,438'],
      'viewer-mix': ['<td class="num">500</td>', '<td class="num">1,500</td>', '25 %', '75 %'],
      rates: ['118,345', '3,793.1', '6,127', '1,234,567,890', '316.5'],
      'requests-by-kind': ['45,012', '21,876', '14,233'],
      errors: ['ECONNRESET'],
      'viewer-state': ['1,997', '1,994', 'multivariant 503'],
      origin: ['1,825', '58.5', '31.47'],
      tiers: ['edge', 'shield', '118,001', '3,782.1', '1,771', '98.5 %', '89.8 %', 'held 21,271'],
      edge: ['X-Cache HIT', '95,210'],
      streams: ['/live/t/180p/index.m3u8', '/live/t/audio/index.m3u8'],
      latency: ['29,869', '>166<', '>91<', '>541<', '>245<', '>159<'],
      playback: ['>22<', '>21<', '>3.7<', '>412<'],
      renditions: ['180p 154k', '1,431', '360p 820k', '566'],
      loadgen: ['worker 0', '93 %', '>202<', '>388<', 'worker 1', '54 %'],
    };
    assert.deepEqual([...byName.keys()].sort(), Object.keys(want).sort());
    for (const [name, values] of Object.entries(want)) {
      for (const v of values) assert.ok(byName.get(name)!.includes(v), `table ${name} shows ${v}`);
    }
    assert.match(html, /data-verdict="loadgen">The load generator ran out of CPU first: worker 0/);
  });

  it('says the load generator kept headroom when no worker was busy most of the run', () => {
    const r = fixtureReport();
    for (const w of r.loadgen.workers) w.busy = 0.5;
    const v = cpuVerdict(r);
    assert.equal(v.saturated, false);
    assert.match(v.text, /CPU to spare/);
    assert.equal(cpuVerdict({ ...r, loadgen: { ...r.loadgen, workers: [] } }).saturated, null);
  });

  it('renders a report without origin, tiers or series', () => {
    const r = { ...fixtureReport(), origin: null, tiers: [], series: [] };
    const html = renderReportHtml(r);
    assert.match(html, /Origin \(no origin \/metrics page was scraped\)/);
    assert.deepEqual(JSON.parse(embedded(html)), r);
  });
});

describe('saved reports (--from)', () => {
  it('parseReport takes back what --json wrote', () => {
    const r = fixtureReport();
    assert.deepEqual(parseReport(JSON.stringify(r, null, 2), 'r.json'), r);
  });

  it('rejects text that is not JSON, and JSON that is not a report, saying where', () => {
    const code = (f: () => unknown, re: RegExp) =>
      assert.throws(f, (e: unknown) => isCorralError(e, 'CONFIG_INVALID') && re.test(e.message));
    code(() => parseReport('{"options": ', 'x.json'), /^x\.json is not JSON/);
    code(() => parseReport('[]', 'x.json'), /not a corral loadtest report.*report is not an object/);
    const r = JSON.parse(JSON.stringify(fixtureReport()));
    r.series[3].playing = 'many';
    code(() => parseReport(JSON.stringify(r), 'x.json'), /report\.series\[3\]\.playing is not a number/);
    const s = JSON.parse(JSON.stringify(fixtureReport()));
    delete s.tiers;
    code(() => parseReport(JSON.stringify(s), 'x.json'), /report\.tiers is not an array/);
  });

  it('readReport: an unreadable file is CONFIG_INVALID', async () => {
    await assert.rejects(
      readReport('/nonexistent/corral-report.json'),
      (e: unknown) => isCorralError(e, 'CONFIG_INVALID') && /cannot read report/.test(e.message),
    );
  });

  it('corral loadtest --from FILE --html OUT writes the page; run flags and bad files are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-report-'));
    const saved = join(dir, 'r.json');
    const r = fixtureReport();
    writeFileSync(saved, JSON.stringify(r, null, 2));
    const out = join(dir, 'r.html');
    const log = console.log;
    console.log = () => {};
    try {
      assert.equal(await runLoadtestCli(['--from', saved, '--html', out]), 0);
    } finally {
      console.log = log;
    }
    assert.deepEqual(JSON.parse(embedded(readFileSync(out, 'utf8'))), r);
    const invalid = (re: RegExp) => (e: unknown) => isCorralError(e, 'CONFIG_INVALID') && re.test(e.message);
    await assert.rejects(
      runLoadtestCli(['--from', saved, '--html', out, '--url', 'http://x/']),
      invalid(/--url applies to a run only/),
    );
    writeFileSync(join(dir, 'bad.json'), 'not json');
    await assert.rejects(
      runLoadtestCli(['--from', join(dir, 'bad.json'), '--html', out]),
      invalid(/is not JSON/),
    );
    await assert.rejects(runLoadtestCli(['--from', join(dir, 'none.json')]), invalid(/cannot read report/));
    await assert.rejects(runLoadtestCli(['--from', saved, '--html']), invalid(/--html needs a file name/));
  });
});
