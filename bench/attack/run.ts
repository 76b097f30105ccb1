/**
 * Attacks and faults (issue 9), re-runnable: each one starts its own corral (`corral start` or
 * the split processes) on loopback, a real ffmpeg publisher, does its damage, and reports a row
 * judged against its goal. Figures are counts and memory, not timings of a loaded machine, except
 * the recovery times the faults are about.
 *
 *   npx tsx bench/attack/run.ts [--only NAME[,NAME...]] [--list]
 *
 * Every child is stopped and the temp dir removed on the way out. Results: tables on stdout and
 * bench/attack/last-run.json (rows of earlier runs of other attacks are kept, keyed by name and
 * commit, so partial runs before and after a change add up to one file).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startBench } from '../lib/harness.js';
import { loadavg } from '../lib/loadavg.js';
import { writeResults } from '../lib/results.js';
import { bustAuth, bustNotFound, bustQuery } from './bust.js';
import { cors } from './cors.js';
import { flood } from './flood.js';
import { flood404 } from './flood404.js';
import { flood404Heap } from './flood404-heap.js';
import { frozen } from './frozen.js';
import { originKill } from './origin-kill.js';
import { pushHtml } from './push.js';
import { reconnect } from './reconnect.js';
import { shieldKill } from './shield-kill.js';
import { slots } from './slots.js';
import { transcoderKill } from './transcoder-kill.js';
import { trickle } from './trickle.js';
import { prepareSmallSource, type Attack, type Row } from './util.js';

const ALL: Record<string, Attack> = {
  flood,
  frozen,
  trickle,
  slots,
  query: bustQuery,
  auth: bustAuth,
  notfound: bustNotFound,
  flood404,
  'flood404-heap': flood404Heap,
  push: pushHtml,
  cors,
  'origin-kill': originKill,
  'shield-kill': shieldKill,
  'transcoder-kill': transcoderKill,
  reconnect,
};

const { values: flags } = parseArgs({
  options: { only: { type: 'string' }, list: { type: 'boolean', default: false } },
});
if (flags.list) {
  console.log(Object.keys(ALL).join('\n'));
  process.exit(0);
}
const names = flags.only ? flags.only.split(',') : Object.keys(ALL);
for (const n of names) {
  if (!ALL[n]) {
    console.error(`unknown attack ${n}; one of: ${Object.keys(ALL).join(', ')}`);
    process.exit(2);
  }
}

const RESULTS = new URL('./last-run.json', import.meta.url);
const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD']).toString().trim();
// 240 s per entry is generous for the slowest (the 90 s 404 flood, the 15 s shield outage).
const { procs, dir, run } = startBench({ name: 'attack', budgetS: 120 + 240 * names.length });

function printRows(rows: Row[]): void {
  const attacks = rows.filter((r) => r.kind === 'attack');
  const faults = rows.filter((r) => r.kind === 'fault');
  const verdict = (r: Row) => (r.pass === 'skipped' ? 'skipped' : r.pass ? 'pass' : 'FAIL');
  if (attacks.length) {
    console.log('\n| attack | cases | outcome | goal | result |\n|---|---|---|---|---|');
    for (const r of attacks)
      console.log(`| ${r.what} | ${r.cases} | ${r.outcome} | ${r.goal} | ${verdict(r)} |`);
  }
  if (faults.length) {
    console.log(
      '\n| fault | what viewers saw | recovery | data lost | goal | result |\n|---|---|---|---|---|---|',
    );
    for (const r of faults) {
      console.log(
        `| ${r.what} | ${r.outcome} | ${r.recovery ?? ''} | ${r.dataLost ?? ''} | ${r.goal} | ${verdict(r)} |`,
      );
    }
  }
}

await run(async () => {
  const source = await prepareSmallSource(procs, dir);
  const ctx = { procs, dir, source, commit };
  const rows: Row[] = [];
  for (const n of names) {
    console.log(`\n== ${n} (load ${loadavg().join(' ')})`);
    let row: Row;
    try {
      row = await ALL[n]!(ctx);
    } catch (e) {
      row = {
        name: n,
        kind: 'attack',
        what: n,
        cases: '',
        outcome: `error: ${(e as Error).message.split('\n')[0]}`,
        goal: '',
        pass: false,
        figures: { error: String((e as Error).stack) },
      };
    }
    console.log(`${row.pass === 'skipped' ? 'skipped' : row.pass ? 'pass' : 'FAIL'}: ${row.outcome}`);
    rows.push(row);
  }
  printRows(rows);
  const file = fileURLToPath(RESULTS);
  const old = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { rows?: (Row & { commit: string })[] })
    : {};
  const stamped = rows.map((r) => ({ ...r, commit, at: new Date().toISOString() }));
  const kept = (old.rows ?? []).filter(
    (r) => !stamped.some((s) => s.name === r.name && s.commit === r.commit),
  );
  await writeResults(RESULTS, {
    note: 'rows by attack name and commit; see bench/README.md',
    rows: [...kept, ...stamped],
  });
});
