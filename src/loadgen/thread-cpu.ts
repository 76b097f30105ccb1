import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime: 100 on every Linux build in practice. */
const TICKS_PER_S = 100;

/**
 * CPU seconds this thread has used (user + system), from /proc/thread-self/stat; undefined where
 * that does not exist. Event-loop utilization cannot stand in for it: on a busy machine a thread
 * waiting for a core counts as busy.
 */
export function threadCpuS(): number | undefined {
  let stat: string;
  try {
    stat = readFileSync('/proc/thread-self/stat', 'latin1');
  } catch {
    return undefined;
  }
  // Fields after the command name (which may contain spaces) start at state, field 3.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? (utime + stime) / TICKS_PER_S : undefined;
}
