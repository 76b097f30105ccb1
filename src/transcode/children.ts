import type { ChildProcess } from 'node:child_process';

/**
 * Every live ffmpeg child of this process. stop() is the normal way children end; this is the
 * last resort for when Node.js exits without it (an uncaught exception, process.exit()): the
 * 'exit' handler can only run synchronous code, and kill() is synchronous, so no child outlives us.
 * (SIGKILL of Node.js itself cannot be caught; ffmpeg then sees EOF on stdin and exits on its own.)
 */
const live = new Set<ChildProcess>();
let hooked = false;

function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  live.clear();
}

export function trackChild(child: ChildProcess): void {
  if (!hooked) {
    process.once('exit', killAll);
    hooked = true;
  }
  live.add(child);
}

export function untrackChild(child: ChildProcess): void {
  live.delete(child);
}

/** For tests: how many children are still tracked. */
export function liveChildCount(): number {
  return live.size;
}

/** For tests: the pids of tracked children (to kill one and watch recovery). */
export function liveChildPids(): number[] {
  return [...live].map((c) => c.pid).filter((p): p is number => p !== undefined);
}
