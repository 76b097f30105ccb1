/** What every attack and fault shares: its context, its result row, HTTP and stream helpers. */
import http from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { testPatternArgs } from '../../test/support/ffmpeg.js';
import { nextSeq } from '../lib/hls.js';
import { FFMPEG } from '../lib/media.js';
import { descendantsOf, rssBytes } from '../lib/procfs.js';
import { sleep, type Child, type Procs } from '../lib/procs.js';

export interface Ctx {
  procs: Procs;
  dir: string;
  /** A small pre-encoded test pattern (FLV), replayed in real time by every publisher. */
  source: string;
  /** The git commit the run measured, so before/after-merge rows can be told apart. */
  commit: string;
}

export interface Row {
  name: string;
  kind: 'attack' | 'fault';
  /** attack: "what was done"; fault: the fault. */
  what: string;
  cases: string;
  /** attack: the figures; fault: what viewers saw. */
  outcome: string;
  recovery?: string;
  dataLost?: string;
  goal: string;
  pass: boolean | 'skipped';
  figures: Record<string, unknown>;
}

export type Attack = (ctx: Ctx) => Promise<Row>;

export const MB = 1 << 20;
export const mb = (b: number) => `${(b / MB).toFixed(0)} MB`;

/**
 * 240p is enough: the attacks need a live stream that advances, not picture quality, and a
 * small source encodes in seconds on a loaded machine.
 */
export async function prepareSmallSource(procs: Procs, dir: string): Promise<string> {
  const out = join(dir, 'source.flv');
  const child = procs.start(
    'encode',
    FFMPEG,
    testPatternArgs(out, {
      seconds: 60,
      size: '426x240',
      fps: 30,
      bframes: 2,
      realtime: false,
      durationIn: 'lavfi',
      videoKbps: 500,
      audioKbps: 64,
    }),
  );
  if ((await child.exited) !== 0 || !existsSync(out))
    throw new Error(`encode failed: ${child.tail.join('\n')}`);
  return out;
}

/** A real broadcaster: the source replayed at real time, looped so it outlasts any attack. */
export function publisher(ctx: Ctx, url: string, name = 'publisher'): Child {
  return ctx.procs.start(name, FFMPEG, [
    ...['-hide_banner', '-loglevel', 'error', '-re', '-stream_loop', '-1', '-i', ctx.source],
    ...['-c', 'copy', '-f', 'flv', url],
  ]);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export interface Res {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request; status 0 when the connection failed or timed out (a viewer sees an error). */
export function req(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number } = {},
): Promise<Res> {
  return new Promise((resolve) => {
    const r = http.request(url, { method: o.method ?? 'GET', headers: o.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', () => resolve({ status: 0, headers: {}, body: Buffer.alloc(0) }));
    });
    r.setTimeout(o.timeoutMs ?? 5000, () => r.destroy());
    r.on('error', () => resolve({ status: 0, headers: {}, body: Buffer.alloc(0) }));
    r.end(o.body);
  });
}

/** Run `n` jobs with at most `width` in flight. */
export async function pool(n: number, width: number, job: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, n) }, async () => {
      while (next < n) await job(next++);
    }),
  );
}

export const rand = () => Math.random().toString(36).slice(2, 10);

export interface Live {
  /** Absolute URLs of the media playlists, the init segments, and the newest segment of the first. */
  playlists: string[];
  inits: string[];
  segment: string;
}

const uris = (text: string) => text.split('\n').filter((l) => l && !l.startsWith('#'));
const mapUri = (text: string) => /#EXT-X-MAP:URI="([^"]+)"/.exec(text)?.[1];

/** Wait until `base` serves the stream with segments, and list what a new viewer needs. */
export async function waitLive(base: string, name: string, timeoutMs = 30_000): Promise<Live> {
  const index = `${base}/live/${name}/index.m3u8`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const live = await readLive(index);
    if (live) return live;
    await sleep(250);
  }
  throw new Error(`${index} not live after ${timeoutMs} ms`);
}

/** The stream as a new viewer finds it, or undefined while any piece of it is missing. */
export async function readLive(index: string): Promise<Live | undefined> {
  const r = await req(index);
  if (r.status !== 200) return undefined;
  const playlists = uris(r.body.toString()).map((u) => new URL(u, index).href);
  if (playlists.length === 0) return undefined;
  const inits: string[] = [];
  let segment = '';
  for (const p of playlists) {
    const m = await req(p);
    if (m.status !== 200) return undefined;
    const text = m.body.toString();
    const map = mapUri(text);
    const segs = uris(text);
    if (!map || segs.length === 0) return undefined;
    inits.push(new URL(map, p).href);
    if (!segment) segment = new URL(segs.at(-1)!, p).href;
  }
  return { playlists, inits, segment };
}

/** A media playlist's next sequence number and its tags of interest; undefined when not 200. */
export async function playlistState(
  url: string,
): Promise<
  { seq: number; gaps: number; discontinuities: number; status: number; xcache: string } | undefined
> {
  const r = await req(url);
  const xcache = String(r.headers['x-cache'] ?? '');
  if (r.status !== 200) return { seq: NaN, gaps: 0, discontinuities: 0, status: r.status, xcache };
  const text = r.body.toString();
  return {
    seq: nextSeq(text),
    gaps: (text.match(/#EXT-X-GAP/g) ?? []).length,
    discontinuities: (text.match(/#EXT-X-DISCONTINUITY\b/g) ?? []).length,
    status: r.status,
    xcache,
  };
}

/** Resident memory of a process and everything under it, bytes. */
export function treeRss(pid: number): number {
  return [pid, ...descendantsOf(pid)].reduce((s, p) => s + (rssBytes(p) || 0), 0);
}

/** Sample a process tree's RSS every `everyMs` until stopped; the peak and the samples' count. */
export function rssSampler(pid: number, everyMs = 200): { stop(): { peak: number; last: number } } {
  let peak = treeRss(pid);
  let last = peak;
  const t = setInterval(() => {
    last = treeRss(pid);
    if (last > peak) peak = last;
  }, everyMs);
  return {
    stop() {
      clearInterval(t);
      return { peak, last };
    },
  };
}

/** Count occurrences of each `code` in corral's JSON log lines (warn level and up). */
export function codeCounter(): {
  onLog: (line: string, json: Record<string, unknown> | undefined) => boolean;
  counts: Map<string, number>;
} {
  const counts = new Map<string, number>();
  return {
    counts,
    onLog: (_line, json) => {
      const code = json?.code;
      if (typeof code === 'string') counts.set(code, (counts.get(code) ?? 0) + 1);
      return typeof code === 'string';
    },
  };
}

/** Status -> count, printed "200x12 502x3". */
export function tally(statuses: Iterable<number | string>): string {
  const m = new Map<string, number>();
  for (const s of statuses) m.set(String(s), (m.get(String(s)) ?? 0) + 1);
  return [...m].map(([k, v]) => `${k}x${v}`).join(' ');
}
