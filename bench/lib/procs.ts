/**
 * Child processes for the benchmarks. Every child goes through one Procs, so a single stopAll()
 * in a finally block (and on SIGINT/SIGTERM) leaves no ffmpeg or corral behind, whatever went wrong.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Child {
  name: string;
  proc: ChildProcess;
  pid: number;
  /** Last lines of output (stdout and stderr): enough to explain a failure. */
  tail: string[];
  exited: Promise<number | null>;
}

export interface ProcsOptions {
  /** The children's stdin: an unused pipe (default) or /dev/null. */
  stdin?: 'pipe' | 'ignore';
}

export class Procs {
  readonly #children = new Set<Child>();
  readonly #stdin: 'pipe' | 'ignore';

  constructor(o: ProcsOptions = {}) {
    this.#stdin = o.stdin ?? 'pipe';
  }

  start(name: string, cmd: string, args: string[], opts: { onLine?: (line: string) => void } = {}): Child {
    const proc = spawn(cmd, args, { stdio: [this.#stdin, 'pipe', 'pipe'] });
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

  running(child: Child): boolean {
    return this.#children.has(child);
  }

  /**
   * Wait until `ready()` holds (typically: the child printed what the caller parses from its
   * output), failing if the child exits first or `timeoutMs` passes; `what` names the wait.
   */
  async waitFor(child: Child, what: string, ready: () => boolean, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (!this.running(child)) throw new Error(`${child.name} exited at start:\n${child.tail.join('\n')}`);
      if (Date.now() > deadline) throw new Error(`${child.name}: no ${what}:\n${child.tail.join('\n')}`);
      await sleep(50);
    }
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
}
