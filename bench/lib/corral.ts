/** `bin/corral start` as a child of a bench, on loopback, logging warnings and errors only. */
import { fileURLToPath } from 'node:url';
import type { Child, Procs } from './procs.js';

export const CORRAL_BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));

export interface Corral {
  child: Child;
  /** rtmp://127.0.0.1:PORT (append /live/NAME). */
  rtmp: string;
  /** The viewer port (edge) base URL. */
  viewer: string;
  /** The origin's base URL: its /metrics has the ingest, packager and transcoder series. */
  origin: string;
  /** Lines corral logged other than the banner, first 200 (what `onLog` did not take). */
  log: string[];
}

/** The banner lines, and the start-up notice every start prints; neither says anything about a run. */
const BANNER = /^\s*(player|publish|play|metrics|demo stream):/;
const NOISE = /no RTMPS certificate configured/;

/**
 * The one way a bench starts corral: every port from the kernel, the URLs read back from the
 * banner (the origin's from its metrics line), `args` appended. `onLog` sees each log line first
 * (parsed when it is JSON) and returns true when it kept the line itself.
 */
export async function startCorral(
  procs: Procs,
  o: {
    name?: string;
    args: string[];
    onLog?: (line: string, json: Record<string, unknown> | undefined) => boolean;
  },
): Promise<Corral> {
  const c = { rtmp: '', viewer: '', origin: '', log: [] as string[] };
  const onLine = (line: string): void => {
    const pub = /publish:\s+(rtmp:\/\/\S+)\/live\/NAME/.exec(line);
    if (pub) c.rtmp = pub[1]!;
    const player = /player:\s+(http:\/\/\S+?)\/?$/.exec(line);
    if (player) c.viewer = player[1]!;
    const metrics = /metrics:.*,\s+(http:\/\/\S+)\/metrics/.exec(line);
    if (metrics) c.origin = metrics[1]!;
    if (BANNER.test(line) || NOISE.test(line) || line.trim() === '') return;
    let json: Record<string, unknown> | undefined;
    if (line.startsWith('{')) {
      try {
        json = JSON.parse(line) as Record<string, unknown>;
      } catch {
        json = undefined;
      }
    }
    if (o.onLog?.(line, json)) return;
    if (c.log.length < 200) c.log.push(line.slice(0, 400));
  };
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
        '0',
        '--shield-port',
        '0',
        '--rtmp-port',
        '0',
        '--rtmps-port',
        '0',
      ],
      ...['--rtmp-host', '127.0.0.1', '--rtmps-host', '127.0.0.1', '--log-level', 'warn'],
      ...o.args,
    ],
    { onLine },
  );
  await procs.waitFor(child, 'URLs printed', () => !!(c.rtmp && c.viewer && c.origin));
  return { child, ...c };
}
