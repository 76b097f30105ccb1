/**
 * Plumbing for the ingest benchmark: child processes that are always reaped, CPU time read from
 * /proc, loopback HTTP with keep-alive, and percentiles. Nothing here knows about corral.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Last lines of stderr (and stdout when not consumed): enough to explain a failure. */
  tail: string[];
  exited: Promise<number | null>;
}

/**
 * Every child the bench starts goes through here, so one `stopAll` in a finally block (and on
 * SIGINT) leaves no ffmpeg or corral process behind whatever went wrong.
 */
export class Procs {
  readonly #children = new Set<Child>();

  start(name: string, cmd: string, args: string[], opts: { onLine?: (line: string) => void } = {}): Child {
    const proc = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    if (proc.pid === undefined) throw new Error(`${name}: failed to start ${cmd}`);
    const tail: string[] = [];
    const keep = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line.trim()) continue;
        opts.onLine?.(line);
        tail.push(line);
        if (tail.length > 40) tail.shift();
      }
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    // A child that dies makes its stdin pipe error (EPIPE); that is reported through `exited`.
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

  /** Polite stop (signal), then SIGKILL after `graceMs`. Resolves once the process is gone. */
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

let clkTck: number | undefined;

/** Clock ticks per second for /proc times (almost always 100, but asked rather than assumed). */
export function clockTicks(): number {
  clkTck ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
  return clkTck;
}

/** utime + stime of a process (all its threads), in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; fields after the last ')' are fixed.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(rest[11]) + Number(rest[12])) / clockTicks();
}

/** A port the kernel says is free right now (for ffmpeg -listen, which cannot take port 0). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/**
 * Wait until something LISTENs on a loopback TCP port, by reading /proc/net/tcp rather than
 * connecting: `ffmpeg -listen 1` accepts exactly one client, so a probe would use it up.
 */
export async function waitListening(port: number, timeoutMs: number): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const table = readFileSync('/proc/net/tcp', 'utf8');
    // Columns: sl local_address rem_address st ...; st 0A = LISTEN.
    const rows = table.split('\n').map((l) => l.trim().split(/\s+/));
    if (rows.some((f) => f[1]?.endsWith(`:${hex}`) && f[3] === '0A')) return;
    await sleep(20);
  }
  throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
}

export interface HttpResult {
  status: number;
  body: Buffer;
  /** performance.now() when the last body byte arrived. */
  doneAt: number;
}

/** A GET over a keep-alive agent: the eager viewer reuses its connection like a real player. */
export function httpGet(agent: http.Agent, url: string, timeoutMs = 5000): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), doneAt: performance.now() }),
      );
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Nearest-rank percentile of an unsorted list (p in 0..100). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export interface Summary {
  n: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export function summarize(values: number[], digits = 1): Summary {
  const r = (x: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
  return {
    n: values.length,
    p50: r(percentile(values, 50)),
    p95: r(percentile(values, 95)),
    max: r(values.length ? Math.max(...values) : NaN),
    mean: r(mean),
  };
}
