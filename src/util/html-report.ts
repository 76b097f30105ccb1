import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * Pieces shared by corral's self-contained HTML report pages (the load test's and the simulator's):
 * safe inlining of data, script and style, uPlot from its npm package, and the pages' one style.
 */

/**
 * JSON for a `<script type="application/json">` element: `<`, `>` and `&` become \u escapes (valid
 * inside JSON strings, the only place they can occur), so no `</script>` or `<!--` in the data can end
 * the element early, and JSON.parse of the element's text gives back the same value.
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Script text inlined in `<script>`: the two sequences that could end or confuse the element. */
export function inlineScript(js: string): string {
  return js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

export function inlineStyle(css: string): string {
  return css.replace(/<\/(style)/gi, '<\\/$1');
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ESC[c]!);
}

let uplot: { uplotJs: string; uplotCss: string } | undefined;
/** uPlot's script and style from its npm package, read once at run time. */
export function uplotAssets(): { uplotJs: string; uplotCss: string } {
  if (uplot === undefined) {
    const require = createRequire(import.meta.url);
    uplot = {
      uplotJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
      uplotCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    };
  }
  return uplot;
}

/** The report pages' style; `mainChartId` is the chart that takes the full width. */
export function reportCss(mainChartId: string): string {
  return `
:root { color-scheme: light; }
body { font: 14px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0; background: #f4f5f7; color: #1b1d21; }
header { padding: 16px 24px; background: #1e2430; color: #f4f5f7; }
header h1 { margin: 0 0 4px; font-size: 20px; }
header p { margin: 0; color: #c5cad3; word-break: break-all; }
main { padding: 16px 24px 32px; max-width: 1240px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 16px; }
.tile { background: #fff; border: 1px solid #dde0e5; border-radius: 6px; padding: 8px 12px; min-width: 150px; }
.tile span { color: #5b6270; font-size: 12px; }
.tile b { display: block; font-size: 20px; }
.charts { display: flex; flex-wrap: wrap; gap: 16px; }
figure.chart { background: #fff; border: 1px solid #dde0e5; border-radius: 6px; margin: 0; padding: 8px; flex: 1 1 560px; }
figure.chart#${mainChartId} { flex-basis: 100%; }
figure.chart figcaption { color: #5b6270; font-size: 12px; margin-top: 4px; }
.u-title { font-size: 15px; font-weight: 600; }
table { border-collapse: collapse; background: #fff; margin: 0 0 16px; min-width: 420px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border: 1px solid #dde0e5; padding: 4px 10px; text-align: left; vertical-align: top; }
thead th { background: #eceef2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.none { color: #5b6270; font-style: italic; }
tbody th { font-weight: normal; }
.verdict { background: #fff; border-left: 4px solid #2383e2; padding: 8px 12px; max-width: 900px; }
.verdict[data-verdict='loadgen'] { border-left-color: #d23c3c; }
.error { color: #b00020; font-weight: 600; }
`;
}

export const nf = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
/** A number as the tables show it: thousands separators, at most two decimals, '-' for none. */
export function n(v: number | null | undefined, unit = ''): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '-';
  return `${nf.format(v)}${unit}`;
}

export type Cell = string | number | null | undefined;
/** A table with a caption; cells are escaped here (numbers formatted), never trusted. */
export function table(name: string, caption: string, head: string[], rows: Cell[][]): string {
  const cell = (c: Cell, tag: 'td' | 'th') =>
    `<${tag}${typeof c === 'number' ? ' class="num"' : ''}>${typeof c === 'number' || c === null || c === undefined ? n(c) : escapeHtml(c)}</${tag}>`;
  const body =
    rows.length === 0
      ? `<tr><td colspan="${head.length}" class="none">none in this report</td></tr>`
      : rows.map((r) => `<tr>${r.map((c, i) => cell(c, i === 0 ? 'th' : 'td')).join('')}</tr>`).join('\n');
  return `<table data-table="${name}">
<caption>${escapeHtml(caption)}</caption>
<thead><tr>${head.map((h) => `<th scope="col">${escapeHtml(h)}</th>`).join('')}</tr></thead>
<tbody>
${body}
</tbody>
</table>`;
}

export function section(title: string, ...parts: string[]): string {
  return `<section>\n<h2>${escapeHtml(title)}</h2>\n${parts.join('\n')}\n</section>`;
}
