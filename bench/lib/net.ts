/** Loopback ports: free ones to hand to a child, and waiting for a child to listen on one. */
import { readFileSync } from 'node:fs';
import { sleep } from './procs.js';

export { freePort } from '../../test/support/net.js';

/**
 * Wait until something LISTENs on a loopback TCP port, by reading /proc/net/tcp rather than
 * connecting: `ffmpeg -listen 1` accepts exactly one client, so a probe would use it up.
 */
export async function waitListening(port: number, timeoutMs: number): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    // Columns: sl local_address rem_address st ...; st 0A = LISTEN.
    const rows = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/));
    if (rows.some((f) => f[1]?.endsWith(hex) && f[3] === '0A')) return;
    await sleep(20);
  }
  throw new Error(`nothing listening on port ${port} after ${timeoutMs} ms`);
}
