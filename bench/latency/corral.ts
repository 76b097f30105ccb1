/**
 * `bin/corral start` as the latency bench runs it: a child on kernel-picked ports (the input and
 * its broadcaster are bench/lib/media.ts).
 */
import { startCorral as startCorralChild } from '../lib/corral.js';
import { freePort } from '../lib/net.js';
import type { Child, Procs } from '../lib/procs.js';

export interface Corral {
  child: Child;
  rtmp: string;
  /** Viewer port (edge) base URL. */
  viewer: string;
  origin: string;
  /** Warnings and errors corral logged (the banner lines excluded). */
  log: string[];
}

/**
 * `bin/corral start` with the given flags. RTMP/viewer ports come from the kernel and are read
 * from the banner; the origin port is not printed, so it is picked here (freePort) and passed.
 */
export async function startCorral(procs: Procs, extra: string[]): Promise<Corral> {
  const originPort = await freePort();
  let rtmp = '';
  let viewer = '';
  const log: string[] = [];
  const child = await startCorralChild(procs, {
    originPort,
    args: ['--shield-port', '0', ...extra],
    onLine: (line) => {
      const pub = /publish:\s+(rtmp:\/\/\S+)\/live\/NAME/.exec(line);
      if (pub) rtmp = pub[1]!;
      const pl = /player:\s+(http:\/\/\S+?)\/?$/.exec(line);
      if (pl) viewer = pl[1]!;
      if (/RTMPS certificate/.test(line)) return;
      if (!/^\s*(player|publish|play|metrics):/.test(line) && log.length < 200) log.push(line.slice(0, 400));
    },
    ready: () => !!(rtmp && viewer),
    what: 'URLs printed',
  });
  return { child, rtmp, viewer, origin: `http://127.0.0.1:${originPort}`, log };
}

/** A playlist that lists at least `segments` complete segments, or undefined. */
export async function livePlaylist(url: string, segments: number): Promise<string | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return res.ok && (text.match(/#EXTINF/g)?.length ?? 0) >= segments ? text : undefined;
}
