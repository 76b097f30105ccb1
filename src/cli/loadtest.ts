import { writeFile } from 'node:fs/promises';
import { numFlag as num, parseArgs, type FlagSpec } from './args.js';
import { flagHelp } from './flags.js';
import { CorralError } from '../util/errors.js';
import {
  PROFILES,
  progressLine,
  readReport,
  renderReportHtml,
  runLoadtest,
  summaryText,
  writeReportPng,
  type ProfileName,
  type Report,
} from '../loadgen/index.js';

export const LOADTEST_FLAGS: Record<string, FlagSpec> = {
  url: { help: 'multivariant playlist, http://HOST:PORT/live/NAME/index.m3u8 (required)' },
  viewers: { help: 'virtual viewers (100)' },
  profile: {
    help: 'ramp (0 -> N over --ramp-s) | step (N at once) | spike (N within 100 ms of a new segment) (ramp)',
  },
  'ramp-s': { help: 'seconds the ramp takes (10)' },
  duration: { help: 'seconds from the first arrival to the end (30)' },
  'll-share': { help: 'share of viewers that are LL-HLS players, 0..1 (0.5)' },
  threads: { help: 'worker threads; 0 runs on the main thread (2)' },
  sockets: { help: 'pooled keep-alive sockets per thread (enough for the LL viewers plus 1 per 4 plain)' },
  abr: { help: 'true|false: pick rungs by throughput; false stays on the lowest (true)' },
  'start-s': { help: 'media seconds buffered before playback starts or resumes (1)' },
  json: { help: 'write the full report as JSON to this file' },
  html: { help: 'write the report as one self-contained HTML page with charts to this file' },
  png: { help: 'write a PNG of the main chart (viewers over time) to this file; needs Chromium' },
  from: { help: 'render a saved --json report (with --html/--png) instead of running a test' },
  metrics: { help: 'a Prometheus /metrics URL to scrape before and after (repeatable)' },
};

/** Every value of a repeatable flag (parseArgs keeps only the last). */
function repeated(argv: string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === `--${name}` && i + 1 < argv.length) out.push(argv[++i]!);
    else if (a.startsWith(`--${name}=`)) out.push(a.slice(name.length + 3));
  }
  return out;
}

/** `corral loadtest ...`; argv starts after the command name. Returns the exit code. */
export async function runLoadtestCli(argv: string[]): Promise<number> {
  const { flags } = parseArgs(['loadtest', ...argv]);
  if (flags.has('help')) {
    console.log(
      `corral loadtest --url URL [flags]\n\nVirtual HLS/LL-HLS viewers over real HTTP.\n\n${flagHelp(LOADTEST_FLAGS)}`,
    );
    return 0;
  }
  for (const k of flags.keys()) {
    if (!(k in LOADTEST_FLAGS)) throw new CorralError('CONFIG_INVALID', `unknown flag --${k} (see --help)`);
  }
  const from = flags.get('from');
  if (from !== undefined) {
    const runFlags = [...flags.keys()].filter((k) => !['from', 'html', 'png'].includes(k));
    if (runFlags.length > 0) {
      throw new CorralError(
        'CONFIG_INVALID',
        `--from renders a saved report; ${runFlags.map((k) => `--${k}`).join(', ')} ${runFlags.length === 1 ? 'applies' : 'apply'} to a run only`,
      );
    }
    if (from === 'true') throw new CorralError('CONFIG_INVALID', '--from needs a report file (from --json)');
    outputPaths(flags);
    const report = await readReport(from);
    console.log(summaryText(report));
    await writeOutputs(flags, report, false);
    return 0;
  }
  const url = flags.get('url');
  if (url === undefined || !/^http:\/\//.test(url))
    throw new CorralError('CONFIG_INVALID', 'loadtest needs --url http://...');
  const profile = (flags.get('profile') ?? 'ramp') as ProfileName;
  if (!PROFILES.includes(profile))
    throw new CorralError('CONFIG_INVALID', `--profile must be one of ${PROFILES.join(', ')}`);
  const abr = flags.get('abr') ?? 'true';
  if (abr !== 'true' && abr !== 'false')
    throw new CorralError('CONFIG_INVALID', '--abr must be true or false');
  const durationS = num(flags, 'duration', 30, 1, 86_400);
  outputPaths(flags);
  const tty = process.stdout.isTTY === true;
  const report = await runLoadtest({
    url,
    viewers: Math.floor(num(flags, 'viewers', 100, 1, 1_000_000)),
    profile,
    rampS: num(flags, 'ramp-s', 10, 0, 86_400),
    durationS,
    llShare: num(flags, 'll-share', 0.5, 0, 1),
    threads: Math.floor(num(flags, 'threads', 2, 0, 64)),
    ...(flags.has('sockets') ? { sockets: Math.floor(num(flags, 'sockets', 0, 1, 60_000)) } : {}),
    abr: abr === 'true',
    startS: num(flags, 'start-s', 1, 0, 60),
    metrics: repeated(argv, 'metrics'),
    onSecond: (row) => {
      if (tty) process.stdout.write(`\r\x1b[K${progressLine(row.t, durationS, row)}`);
    },
  });
  if (tty) process.stdout.write('\r\x1b[K');
  console.log(summaryText(report));
  await writeOutputs(flags, report, true);
  return 0;
}

/** Flags that say where a report goes, the only ones --from takes. */
const OUTPUT_FLAGS = ['json', 'html', 'png'];

/** The output files asked for; a flag given without a file name is an error before any run. */
function outputPaths(flags: Map<string, string>): { json?: string; html?: string; png?: string } {
  const out: { json?: string; html?: string; png?: string } = {};
  for (const k of OUTPUT_FLAGS) {
    const v = flags.get(k);
    if (v === undefined) continue;
    if (v === 'true' || v === '') throw new CorralError('CONFIG_INVALID', `--${k} needs a file name`);
    out[k as 'json' | 'html' | 'png'] = v;
  }
  return out;
}

async function writeOutputs(flags: Map<string, string>, report: Report, json: boolean): Promise<void> {
  const out = outputPaths(flags);
  if (json && out.json !== undefined) await writeFile(out.json, JSON.stringify(report, null, 2) + '\n');
  if (out.html === undefined && out.png === undefined) return;
  const html = renderReportHtml(report);
  if (out.html !== undefined) {
    await writeFile(out.html, html);
    console.log(`report page: ${out.html}`);
  }
  if (out.png !== undefined) {
    await writeReportPng(html, out.png);
    console.log(`main chart: ${out.png}`);
  }
}
