/**
 * Plumbing for the latency benchmark: child processes that are always reaped, CPU time and load
 * from /proc, Prometheus text scraping and percentiles. Nothing here knows about corral's media.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Last lines of output: enough to explain a failure. */
  tail: string[];
  exited: Promise<number | null>;
}

/** Every child goes through here, so one stopAll() in a finally block leaves nothing behind. */
export class Procs {
  readonly #children = new Set<Child>();

  start(name: string, cmd: string, args: string[], onLine?: (line: string) => void): Child {
    const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    if (proc.pid === undefined) throw new Error(`${name}: failed to start ${cmd}`);
    const tail: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        onLine?.(line);
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.stdin?.on('error', () => {});
    const exited = new Promise<number | null>((resolve) => {
      proc.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
      proc.on('error', () => resolve(-1));
    });
    const child: Child = { name, proc, pid: proc.pid, tail, exited };
    this.#children.add(child);
    void exited.then(() => this.#children.delete(child));
    return child;
  }

  /** Polite signal, SIGKILL after graceMs; resolves once the process is gone. */
  async stop(child: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (child.proc.exitCode !== null || child.proc.signalCode !== null) return;
    child.proc.kill(signal);
    const killer = setTimeout(() => child.proc.kill('SIGKILL'), graceMs);
    await child.exited;
    clearTimeout(killer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#children].map((c) => this.stop(c, 'SIGTERM', 3000)));
  }

  running(child: Child): boolean {
    return this.#children.has(child);
  }
}

/** A loopback port the kernel says is free now (corral start does not print its origin port). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Poll until check() returns a value; fails with the label after timeoutMs. */
export async function until<T>(
  label: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(200);
  }
}

/** utime + stime of one process, in seconds (CLK_TCK is 100 on Linux/x86). */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100;
  } catch {
    return NaN;
  }
}

/**
 * CPU seconds of a process tree: every live descendant's utime+stime plus the reaped children's
 * (cutime+cstime). A transcoder that exits or restarts inside a window is therefore neither lost
 * nor counted twice: its time moves from its own entry into its parent's cutime.
 */
export function treeCpuSeconds(root: number): number {
  const stats = new Map<number, string[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      stats.set(Number(name), stat.slice(stat.lastIndexOf(')') + 2).split(' '));
    } catch {
      // The process exited between listing and reading.
    }
  }
  const children = new Map<number, number[]>();
  for (const [pid, f] of stats) children.set(Number(f[1]), [...(children.get(Number(f[1])) ?? []), pid]);
  let ticks = 0;
  const walk = (p: number) => {
    const f = stats.get(p);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    for (const c of children.get(p) ?? []) walk(c);
  };
  walk(root);
  return ticks / 100;
}

/** The 1/5/15-minute load averages: the machine is shared, so every phase records them. */
export function loadavg(): number[] {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).map(Number);
}

/** All samples of a Prometheus text exposition, as [name, labels, value]. */
export async function scrape(url: string): Promise<Array<[string, Record<string, string>, number]>> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  const out: Array<[string, Record<string, string>, number]> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.eE+-]+|NaN)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="([^"]*)"/g)) labels[l[1]!] = l[2]!;
    out.push([m[1]!, labels, Number(m[3])]);
  }
  return out;
}

/** Sum of the samples of `name` whose labels include every pair in `match`. */
export function sum(
  samples: Array<[string, Record<string, string>, number]>,
  name: string,
  match: Record<string, string> = {},
): number {
  let total = 0;
  for (const [n, labels, v] of samples) {
    if (n !== name) continue;
    if (Object.entries(match).every(([k, want]) => labels[k] === want)) total += v;
  }
  return total;
}

/** Nearest-rank percentile (p in 0..100) of an unsorted list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;
