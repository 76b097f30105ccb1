import type { ChildProcess } from 'node:child_process';

/** First restart delay; doubled per crash in a row and capped, so a crash loop costs little CPU. */
const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 10_000;
/** A run this long was a real run: the next crash starts the back-off over. */
const STABLE_MS = 30_000;

export interface SupervisedEvents {
  exited(name: string, code: number | null, signal: string | null, restartInMs: number): void;
}

/**
 * One child of `corral up`, restarted when it dies. The child leads its own process group, so a
 * stop reaches what it started too (cache workers, ffmpeg), and a crash leaves none of them behind.
 */
export class Supervised {
  readonly name: string;
  readonly #spawn: () => ChildProcess;
  readonly #events: SupervisedEvents;
  #child: ChildProcess | undefined;
  #startedAt = 0;
  #crashes = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(name: string, spawn: () => ChildProcess, events: SupervisedEvents) {
    this.name = name;
    this.#spawn = spawn;
    this.#events = events;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): void {
    this.#timer = undefined;
    if (this.#stopping) return;
    const child = this.#spawn();
    this.#child = child;
    this.#startedAt = Date.now();
    // A spawn failure is reported as an exit too, so it takes the same back-off path.
    child.once('error', () => child.emit('exit', null, null));
    child.once('exit', (code, signal) => this.#exited(child, code, signal));
  }

  #exited(child: ChildProcess, code: number | null, signal: string | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    killGroup(child, 'SIGKILL');
    if (this.#stopping) return;
    if (Date.now() - this.#startedAt >= STABLE_MS) this.#crashes = 0;
    const delay = Math.min(FIRST_DELAY_MS * 2 ** this.#crashes, MAX_DELAY_MS);
    this.#crashes++;
    this.#events.exited(this.name, code, signal, delay);
    this.#timer = setTimeout(() => this.start(), delay);
  }

  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once the child is gone. */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    if (child === undefined) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    killGroup(child, 'SIGTERM');
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
    // Whatever the node started and did not stop goes with it.
    killGroup(child, 'SIGKILL');
  }

  /** Last resort on the supervisor's own exit: synchronous, no waiting. */
  killNow(): void {
    this.#stopping = true;
    clearTimeout(this.#timer);
    if (this.#child) killGroup(this.#child, 'SIGKILL');
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already empty.
  }
}
