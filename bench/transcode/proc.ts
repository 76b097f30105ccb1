/**
 * Process plumbing for the transcode bench: children that are always reaped, CPU time of a whole
 * process tree from /proc, free loopback ports. Nothing here knows about corral.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { loadavg } from 'node:os';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Last lines of output: enough to explain a failure without keeping everything. */
  tail: string[];
  exited: Promise<number | null>;
}

/**
 * Every process the bench starts goes through here, so one stopAll() in a finally block (and on
 * SIGINT/SIGTERM) leaves nothing behind whatever went wrong.
 */
export class Procs {
  readonly #live = new Set<Child>();

  start(name: string, cmd: string, args: string[], onLine?: (line: string) => void): Child {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    if (proc.pid === undefined) throw new Error(`${name}: could not start ${cmd}`);
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
    const exited = new Promise<number | null>((resolve) => {
      proc.on('exit', (code, signal) => resolve(code ?? (signal ? -1 : null)));
      proc.on('error', () => resolve(-1));
    });
    const child: Child = { name, proc, pid: proc.pid, tail, exited };
    this.#live.add(child);
    void exited.then(() => this.#live.delete(child));
    return child;
  }

  running(c: Child): boolean {
    return this.#live.has(c);
  }

  /** Ask politely, SIGKILL after graceMs; resolves once the process is reaped. */
  async stop(c: Child, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
    if (!this.#live.has(c)) return;
    c.proc.kill(signal);
    const killer = setTimeout(() => c.proc.kill('SIGKILL'), graceMs);
    await c.exited;
    clearTimeout(killer);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#live].map((c) => this.stop(c, 'SIGTERM', 3000)));
  }
}

let clkTck: number | undefined;

/** Ticks per second of the /proc times: asked rather than assumed. */
export function clockTicks(): number {
  clkTck ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  return clkTck;
}

interface Stat {
  ppid: number;
  /** utime + stime of the process itself. */
  own: number;
  /** cutime + cstime: children it has already waited for. */
  reaped: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone between listing and reading
  }
  // The command name (field 2) may contain spaces and ')': fields after the last ')' are fixed.
  // f[0] is field 3 (state), so ppid = field 4, utime..cstime = fields 14..17.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const t = clockTicks();
  return {
    ppid: Number(f[1]),
    own: (Number(f[11]) + Number(f[12])) / t,
    reaped: (Number(f[13]) + Number(f[14])) / t,
  };
}

/** Pids whose parent is `pid` (ffmpeg transcoders under corral). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    if (readStat(Number(name))?.ppid === pid) out.push(Number(name));
  }
  return out;
}

/**
 * CPU seconds spent so far by a process and its direct children, counted so that a delta over a
 * window is right even when children come and go: a live child is read directly, and once it
 * exits and is reaped its whole total moves into the parent's cutime/cstime. (A child that
 * starts and ends inside the window is then counted in full, which is what it cost.)
 */
export function treeCpuSeconds(pid: number): { total: number; children: number } {
  const self = readStat(pid);
  if (!self) throw new Error(`process ${pid} is gone`);
  const kids = childrenOf(pid);
  const kidCpu = kids.reduce((sum, k) => {
    const s = readStat(k);
    return sum + (s ? s.own + s.reaped : 0);
  }, 0);
  return { total: self.own + self.reaped + kidCpu, children: kids.length };
}

/** A port the kernel says is free now (corral must be told its origin port: it does not print it). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * Wait for a LISTEN socket on a loopback port by reading /proc/net/tcp instead of connecting:
 * `ffmpeg -listen 1` serves exactly one client, so a probe connection would use it up.
 */
export async function waitListening(port: number, timeoutMs: number): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    if (rows.some((f) => f[1]?.endsWith(hex) && f[3] === '0A')) return;
    await sleep(20);
  }
  throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
}

/** 1/5/15-minute load averages, rounded: printed around each phase because the machine is shared. */
export function load(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}
