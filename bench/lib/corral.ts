/** `bin/corral start` as a child of the bench, on loopback, logging warnings and errors only. */
import { fileURLToPath } from 'node:url';
import type { Child, Procs } from './procs.js';

export const CORRAL_BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));

/**
 * Start `corral start` with every port from the kernel (except `originPort` when given: the banner
 * does not print the origin's) plus `args`, and wait until `ready()` says `onLine` has read what
 * the caller needs from the banner.
 */
export async function startCorral(
  procs: Procs,
  o: {
    name?: string;
    originPort?: number;
    args: string[];
    onLine: (line: string) => void;
    ready: () => boolean;
    /** What `ready` waits for, for the error message. */
    what: string;
  },
): Promise<Child> {
  const child = procs.start(
    o.name ?? 'corral',
    process.execPath,
    [
      CORRAL_BIN,
      'start',
      ...[
        '--http-port',
        '0',
        '--origin-port',
        String(o.originPort ?? 0),
        '--rtmp-port',
        '0',
        '--rtmps-port',
        '0',
      ],
      ...['--rtmp-host', '127.0.0.1', '--rtmps-host', '127.0.0.1', '--log-level', 'warn'],
      ...o.args,
    ],
    { onLine: o.onLine },
  );
  await procs.waitFor(child, o.what, o.ready);
  return child;
}
