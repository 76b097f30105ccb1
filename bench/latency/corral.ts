/**
 * The broadcast side of the latency bench: a 720p30 test pattern encoded once (1 s GOP) and
 * replayed in real time with `-c copy`, and `bin/corral start` as a child on kernel-picked ports.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, sleep, type Child, type Procs } from './util.js';

export const FFMPEG = process.env.FFMPEG_PATH || '/usr/bin/ffmpeg';
export const CORRAL_BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));

/** 720p30 testsrc2 + tone, x264 veryfast 3 Mb/s, fixed 1 s closed GOP with B-frames, AAC 128k. */
export async function encodeInput(procs: Procs, dir: string, seconds: number): Promise<string> {
  const out = join(dir, 'input.flv');
  const child = procs.start('encode', FFMPEG, [
    ...['-hide_banner', '-loglevel', 'error'],
    ...['-f', 'lavfi', '-i', `testsrc2=size=1280x720:rate=30:duration=${seconds}`],
    ...['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`],
    ...['-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt', 'yuv420p'],
    ...['-g', '30', '-keyint_min', '30', '-sc_threshold', '0', '-bf', '3'],
    ...['-b:v', '3000k', '-maxrate', '3000k', '-bufsize', '6000k'],
    ...['-c:a', 'aac', '-b:a', '128k', '-f', 'flv', '-y', out],
  ]);
  const code = await child.exited;
  if (code !== 0 || !existsSync(out)) throw new Error(`encoding failed (${code}):\n${child.tail.join('\n')}`);
  return out;
}

/** Replay the input at real-time pace (-re), as a broadcaster's encoder would send it. */
export function broadcast(procs: Procs, input: string, url: string): Child {
  return procs.start('broadcaster', FFMPEG, [
    ...['-hide_banner', '-loglevel', 'error', '-re', '-i', input],
    ...['-c', 'copy', '-f', 'flv', url],
  ]);
}

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
  const child = procs.start(
    'corral',
    process.execPath,
    [
      CORRAL_BIN,
      'start',
      ...['--http-port', '0', '--shield-port', '0', '--origin-port', String(originPort)],
      ...['--rtmp-port', '0', '--rtmps-port', '0', '--rtmp-host', '127.0.0.1', '--rtmps-host', '127.0.0.1'],
      ...['--log-level', 'warn', ...extra],
    ],
    (line) => {
      const pub = /publish:\s+(rtmp:\/\/\S+)\/live\/NAME/.exec(line);
      if (pub) rtmp = pub[1]!;
      const pl = /player:\s+(http:\/\/\S+?)\/?$/.exec(line);
      if (pl) viewer = pl[1]!;
      if (/RTMPS certificate/.test(line)) return;
      if (!/^\s*(player|publish|play|metrics):/.test(line) && log.length < 200) log.push(line.slice(0, 400));
    },
  );
  const deadline = Date.now() + 30_000;
  while (!(rtmp && viewer)) {
    if (!procs.running(child)) throw new Error(`corral exited at start:\n${child.tail.join('\n')}`);
    if (Date.now() > deadline) throw new Error(`corral did not print its URLs:\n${child.tail.join('\n')}`);
    await sleep(50);
  }
  return { child, rtmp, viewer, origin: `http://127.0.0.1:${originPort}`, log };
}

/** A playlist that lists at least `segments` complete segments, or undefined. */
export async function livePlaylist(url: string, segments: number): Promise<string | undefined> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return res.ok && (text.match(/#EXTINF/g)?.length ?? 0) >= segments ? text : undefined;
}
