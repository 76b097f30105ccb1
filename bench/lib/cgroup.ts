/**
 * A CPU quota for a server under test: a cgroup v1 `cpu` group (CFS bandwidth control) that the
 * server's processes are moved into, so a load generator that cannot saturate a whole core can
 * still saturate the server. Needs root and a writable /sys/fs/cgroup/cpu (cgroup v1). The group is
 * removed by remove(): its processes go back to the root group first, as a group with tasks in it
 * cannot be removed.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CPU_CGROUP_ROOT = '/sys/fs/cgroup/cpu';

export interface CpuStat {
  /** CFS periods that have elapsed with tasks runnable, and how many of them hit the quota. */
  periods: number;
  throttled: number;
  /** Total time the group's tasks were held back by the quota, seconds. */
  throttledS: number;
}

/** Whether this machine lets us make cpu cgroups (v1 controller mounted and writable). */
export function cpuCgroupUsable(): string | undefined {
  if (!existsSync(join(CPU_CGROUP_ROOT, 'cpu.cfs_quota_us')))
    return `${CPU_CGROUP_ROOT} is not a cgroup v1 cpu controller`;
  if (process.getuid?.() !== 0) return 'needs root to create cgroups';
  return undefined;
}

export class CpuQuota {
  readonly path: string;
  readonly cores: number;
  readonly periodUs: number;
  readonly quotaUs: number;
  #removed = false;

  /**
   * Creates CPU_CGROUP_ROOT/NAME with `cores` of CPU per period (e.g. 0.1 core = 1000 of 10000 us).
   * The kernel's smallest quota is 1000 us, so below 0.1 core the period is lengthened instead.
   */
  constructor(name: string, cores: number, periodUs = 10_000) {
    this.path = join(CPU_CGROUP_ROOT, name);
    this.cores = cores;
    this.periodUs = Math.max(periodUs, Math.ceil(1000 / cores));
    this.quotaUs = Math.round(cores * this.periodUs);
    mkdirSync(this.path);
    writeFileSync(join(this.path, 'cpu.cfs_period_us'), String(periodUs));
    writeFileSync(join(this.path, 'cpu.cfs_quota_us'), String(this.quotaUs));
  }

  /** The quota actually set, in cores (the kernel's minimum quota is 1000 us). */
  get effectiveCores(): number {
    return this.quotaUs / this.periodUs;
  }

  /** Moves each process (all its threads) into the group. */
  add(pids: number[]): void {
    for (const pid of pids) writeFileSync(join(this.path, 'cgroup.procs'), String(pid));
  }

  pids(): number[] {
    return readPids(join(this.path, 'cgroup.procs'));
  }

  stat(): CpuStat {
    const s = new Map<string, number>();
    for (const line of readFileSync(join(this.path, 'cpu.stat'), 'utf8').split('\n')) {
      const [k, v] = line.split(' ');
      if (k && v) s.set(k, Number(v));
    }
    return {
      periods: s.get('nr_periods') ?? 0,
      throttled: s.get('nr_throttled') ?? 0,
      throttledS: (s.get('throttled_time') ?? 0) / 1e9,
    };
  }

  /** Moves every process back to the root group and removes the group; safe to call twice. */
  remove(): void {
    if (this.#removed || !existsSync(this.path)) return;
    for (let attempt = 0; attempt < 5; attempt++) {
      for (const pid of this.pids()) {
        try {
          writeFileSync(join(CPU_CGROUP_ROOT, 'cgroup.procs'), String(pid));
        } catch {
          // exited meanwhile
        }
      }
      try {
        rmdirSync(this.path);
        this.#removed = true;
        return;
      } catch {
        // a process forked in between: move it too
      }
    }
    throw new Error(`could not remove ${this.path}`);
  }
}

function readPids(file: string): number[] {
  try {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => /^\d+$/.test(l))
      .map(Number);
  } catch {
    return [];
  }
}
