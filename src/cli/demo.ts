import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../util/logger.js';

export interface DemoOptions {
  ffmpeg: string;
  url: string;
  /** "1280x720" */
  size: string;
  log: Logger;
  /** Frames per second; the GOP is one second of frames. */
  fps?: number;
}

/**
 * ffmpeg arguments for the synthetic broadcaster: a moving test pattern with the wall clock
 * burned in (so glass-to-glass delay can be read off the screen), a 1 kHz beep every second
 * over a 440 Hz tone, x264 with a 1 s GOP, AAC, FLV over RTMP.
 */
export function demoArgs(o: { url: string; size: string; fps: number; clock: boolean }): string[] {
  const video = `testsrc2=size=${o.size}:rate=${o.fps}`;
  const clock =
    "drawtext=text='%{localtime\\:%H\\\\\\:%M\\\\\\:%S} %{pts\\:hms}':fontsize=48:fontcolor=white:box=1:boxcolor=black@0.6:x=24:y=h-th-24";
  return [
    '-hide_banner',
    '-loglevel',
    'error',
    '-re',
    '-f',
    'lavfi',
    '-i',
    o.clock ? `${video},${clock}` : video,
    '-f',
    'lavfi',
    '-i',
    'sine=frequency=440:beep_factor=2:sample_rate=48000',
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-tune',
    'zerolatency',
    '-pix_fmt',
    'yuv420p',
    '-b:v',
    '2500k',
    '-maxrate',
    '2500k',
    '-bufsize',
    '5000k',
    '-g',
    String(o.fps),
    '-keyint_min',
    String(o.fps),
    '-sc_threshold',
    '0',
    '-c:a',
    'aac',
    '-b:a',
    '128k',
    '-ar',
    '48000',
    '-ac',
    '2',
    '-f',
    'flv',
    o.url,
  ];
}

/**
 * Runs the synthetic broadcaster and restarts it if it dies (bounded back-off), the way a real
 * encoder reconnects. Without a usable font, drawtext fails at once; the clock is then dropped
 * rather than the demo.
 */
export function startDemoBroadcaster(o: DemoOptions): { stop(): Promise<void> } {
  const fps = o.fps ?? 30;
  let child: ChildProcess | undefined;
  let stopped = false;
  let clock = true;
  let failures = 0;
  let timer: NodeJS.Timeout | undefined;

  const run = () => {
    const startedAt = Date.now();
    const p = spawn(o.ffmpeg, demoArgs({ url: o.url, size: o.size, fps, clock }), {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = p;
    let stderr = '';
    p.stderr!.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    p.on('error', (e) => o.log.error({ err: e.message }, 'demo broadcaster failed to start'));
    p.on('exit', (code, signal) => {
      child = undefined;
      if (stopped) return;
      const quick = Date.now() - startedAt < 3000;
      if (quick && clock && /drawtext|font/i.test(stderr)) {
        o.log.warn('no usable font for the burned-in clock; the demo runs without it');
        clock = false;
      }
      failures = quick ? failures + 1 : 0;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(failures, 5));
      o.log.warn(
        { code, signal, stderr: stderr.trim().split('\n').slice(-3).join(' | ') },
        `demo broadcaster exited; restarting in ${delay} ms`,
      );
      timer = setTimeout(run, delay);
    });
  };
  run();
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      const p = child;
      if (!p) return;
      await new Promise<void>((resolve) => {
        const kill = setTimeout(() => p.kill('SIGKILL'), 3000);
        p.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        p.kill('SIGTERM');
      });
    },
  };
}
