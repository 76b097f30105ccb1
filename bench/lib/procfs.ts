/**
 * CPU time, process trees and memory from /proc (Linux). utime/stime are read per process, so a
 * reading counts exactly the processes asked for and never the bench itself.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clkTck: number | undefined;

/** Clock ticks per second of the /proc times (almost always 100, but asked rather than assumed). */
export function clockTicks(): number {
  clkTck ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  return clkTck;
}

export interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime of the process itself (all its threads), seconds. */
  own: number;
  /** cutime + cstime: children it has already waited for, seconds. */
  reaped: number;
}

function parseStat(pid: number, text: string): ProcStat {
  // The command name (field 2) may contain spaces and ')': fields after the last ')' are fixed.
  // f[0] is field 3 (state), so ppid = field 4, utime..cstime = fields 14..17.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const t = clockTicks();
  return {
    pid,
    ppid: Number(f[1]),
    own: (Number(f[11]) + Number(f[12])) / t,
    reaped: (Number(f[13]) + Number(f[14])) / t,
  };
}

/** One process's /proc/PID/stat, or undefined once it is gone. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    return parseStat(pid, readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every process's stat, by pid, read in one pass. */
function allStats(): Map<number, ProcStat> {
  const out = new Map<number, ProcStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = procStat(Number(name)); // undefined: exited between listing and reading
    if (s) out.set(s.pid, s);
  }
  return out;
}

function childMap(stats: Map<number, ProcStat>): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const s of stats.values()) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  return children;
}

/** utime + stime of one process, seconds; NaN once it is gone. */
export function cpuSeconds(pid: number): number {
  return procStat(pid)?.own ?? NaN;
}

/** Pids whose parent is `pid` (e.g. the ffmpeg transcoders under corral). */
export function childrenOf(pid: number): number[] {
  return childMap(allStats()).get(pid) ?? [];
}

/** Every descendant of `pid` (children, their children...), e.g. a server's worker processes. */
export function descendantsOf(pid: number): number[] {
  const children = childMap(allStats());
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

/**
 * CPU seconds of a process tree, `depth` levels deep (1: the process and its direct children):
 * each live member's utime+stime plus its reaped children's cutime+cstime. A child that exits or
 * restarts inside a window is therefore neither lost nor counted twice: its time moves from its
 * own entry into its parent's cutime. NaN when `root` is gone.
 */
export function treeCpuSeconds(root: number, depth = Infinity): number {
  const stats = allStats();
  if (!stats.has(root)) return NaN;
  const children = childMap(stats);
  let total = 0;
  const walk = (p: number, level: number) => {
    const s = stats.get(p);
    if (s) total += s.own + s.reaped;
    if (level < depth) for (const c of children.get(p) ?? []) walk(c, level + 1);
  };
  walk(root, 0);
  return total;
}

/** Resident memory of one process, bytes; NaN once it is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/**
 * On-CPU time of a process and its descendants, seconds, from the scheduler's own accounting
 * (/proc/PID/task/TID/schedstat, first field: nanoseconds run, per thread): exact, unlike the
 * tick-sampled utime/stime, and the figure a cgroup's CPU quota is charged against. Threads that
 * already exited are not counted. NaN when `root` is gone.
 */
export function schedCpuSeconds(root: number): number {
  let total = 0;
  let any = false;
  for (const pid of [root, ...descendantsOf(root)]) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue; // gone
    }
    for (const tid of tids) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9;
        any = true;
      } catch {
        // thread exited between listing and reading
      }
    }
  }
  return any ? total : NaN;
}

/**
 * Resident memory split by kind (/proc/PID/status RssAnon, RssFile, RssShmem), bytes; NaN each once
 * the process is gone. A heap that grows shows in `anon`; mapped code and files in `file`.
 */
export function rssParts(pid: number): { anon: number; file: number; shmem: number } {
  let text = '';
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    // gone: every figure NaN
  }
  const kb = (field: string) => {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(text);
    return m ? Number(m[1]) * 1024 : NaN;
  };
  return { anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
}
