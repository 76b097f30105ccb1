/**
 * The frame every bench runs in: one Procs and one temp dir, removed on the way out whatever
 * happens (error, SIGINT/SIGTERM, or the run overrunning its time budget).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Procs, type ProcsOptions } from './procs.js';

export interface Bench {
  procs: Procs;
  dir: string;
  /** Run `main`, report a failure (exit code 1), and always clean up. */
  run(main: () => Promise<void>): Promise<void>;
}

export function startBench(o: {
  /** Names the temp dir (corral-bench-NAME-) and the failure message. */
  name: string;
  /** A hard bound on the whole run, so a wedged child can never keep it going. */
  budgetS: number;
  procs?: ProcsOptions;
  /** Called first on cleanup, e.g. to close a browser. */
  onCleanup?: () => Promise<void>;
}): Bench {
  const procs = new Procs(o.procs);
  const dir = mkdtempSync(join(tmpdir(), `corral-bench-${o.name}-`));
  let cleaned = false;
  async function cleanup(): Promise<void> {
    if (cleaned) return;
    cleaned = true;
    await o.onCleanup?.();
    await procs.stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      console.error(`\n${sig}: stopping children, removing ${dir}`);
      void cleanup().then(() => process.exit(130));
    });
  }
  setTimeout(() => {
    console.error(`bench exceeded its ${o.budgetS} s budget; aborting`);
    void cleanup().then(() => process.exit(1));
  }, o.budgetS * 1000).unref();
  return {
    procs,
    dir,
    async run(main) {
      try {
        await main();
      } catch (e) {
        console.error(`${o.name} bench failed: ${(e as Error).stack ?? String(e)}`);
        process.exitCode = 1;
      } finally {
        await cleanup();
      }
    },
  };
}
