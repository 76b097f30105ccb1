import { pino, type Logger } from 'pino';
import { CorralError } from '../../src/util/errors.js';
import { packageSchema, type PackageConfig } from '../../src/config/schema.js';
import type { AacConfig, H264Config, MediaFrame, StreamSink } from '../../src/media/types.js';
import type { OriginPush, PushObject } from '../../src/origin/types.js';
import type {
  StreamTranscoder,
  TranscoderFactory,
  TranscoderHooks,
} from '../../src/package/transcoder-port.js';

/** Helpers shared by the packager's *.test.ts files: in-memory media, origin and transcoder. */

/** x264 High 640x360p30 (also used by the h264 parser tests). */
export const SOURCE_VIDEO: H264Config = {
  codec: 'h264',
  avcC: Buffer.from(
    '0164001effe1001a6764001eacd940a02ff970110000030001000003003c0f162d9601000668ebe3cb22c0fdf8f800',
    'hex',
  ),
};
/** x264 constrained baseline 320x240p30: what a transcoded rung looks like. */
export const RUNG_VIDEO: H264Config = {
  codec: 'h264',
  avcC: Buffer.from(
    '0142c00dffe100186742c00dd90141fb0110000003001000000303c0f142a48001000568cb83cb20',
    'hex',
  ),
};
/** AAC-LC, 48 kHz, stereo: object type 2, frequency index 3, channel configuration 2. */
export const AUDIO: AacConfig = { codec: 'aac', asc: Buffer.from([0x11, 0x90]) };

export function config(overrides: Record<string, unknown> = {}): PackageConfig {
  return packageSchema.parse(overrides);
}

export interface MediaPlan {
  seconds: number;
  fps?: number;
  /** Frames from one keyframe to the next. */
  gop?: number;
  audio?: boolean;
  video?: boolean;
  /** dts of the first frame. */
  startMs?: number;
}

/**
 * Access units as a publisher sends them: video at `fps` with ms-rounded timestamps like FLV,
 * AAC frames of 1024 samples at 48 kHz, interleaved by decode time. The payloads are tiny
 * length-prefixed NAL units (IDR or non-IDR slice) and a few bytes of AAC: the packager muxes
 * them without decoding, so only the framing has to be right.
 */
export function avFrames(plan: MediaPlan): MediaFrame[] {
  const fps = plan.fps ?? 30;
  const gop = plan.gop ?? fps;
  const start = plan.startMs ?? 0;
  const out: MediaFrame[] = [];
  if (plan.video ?? true) {
    for (let i = 0; i < plan.seconds * fps; i++) {
      const keyframe = i % gop === 0;
      out.push({
        type: 'video',
        dts: start + Math.round((i * 1000) / fps),
        cts: 0,
        keyframe,
        data: Buffer.from([0, 0, 0, 3, keyframe ? 0x65 : 0x41, 0x88, i & 0xff]),
      });
    }
  }
  if (plan.audio ?? true) {
    const frameMs = 1024 / 48;
    for (let i = 0; i * frameMs < plan.seconds * 1000; i++) {
      out.push({
        type: 'audio',
        dts: start + Math.round(i * frameMs),
        data: Buffer.from([0x21, 0x10, i & 0xff]),
      });
    }
  }
  // Audio first at equal times, as encoders usually interleave it.
  return out.sort((a, b) => a.dts - b.dts || (a.type === 'audio' ? -1 : 1));
}

export type PushOp = { op: 'put'; obj: PushObject } | { op: 'remove'; path: string };

/** The origin as a list: every push in the order it arrived, and what is stored now. */
export class RecordingPush implements OriginPush {
  readonly ops: PushOp[] = [];
  readonly stored = new Map<string, PushObject>();
  /** Make a push fail: return the error to throw for it. */
  refuse: ((path: string) => Error | undefined) | undefined;

  put(obj: PushObject): Promise<void> {
    const err = this.refuse?.(obj.path);
    if (err) return Promise.reject(err);
    this.ops.push({ op: 'put', obj });
    this.stored.set(obj.path, obj);
    return Promise.resolve();
  }

  remove(path: string): Promise<void> {
    const err = this.refuse?.(path);
    if (err) return Promise.reject(err);
    this.ops.push({ op: 'remove', path });
    for (const p of [...this.stored.keys()]) {
      if (p === path || (path.endsWith('/') && p.startsWith(path))) this.stored.delete(p);
    }
    return Promise.resolve();
  }

  /** Paths put, in order. */
  puts(filter: (o: PushObject) => boolean = () => true): string[] {
    return this.ops.flatMap((o) => (o.op === 'put' && filter(o.obj) ? [o.obj.path] : []));
  }

  text(path: string): string {
    const o = this.stored.get(path);
    if (!o) throw new Error(`${path} was never pushed`);
    return o.body.toString();
  }
}

/** What a media playlist says, read just far enough for these tests. */
export interface ReadPlaylist {
  mediaSequence: number;
  targetDuration: number;
  segments: Array<{ uri: string; durationS: number; gap: boolean; discontinuity: boolean; parts: string[] }>;
  openParts: string[];
  maps: string[];
  preloadHint: string | undefined;
  ended: boolean;
  reports: string[];
}

export function readPlaylist(text: string): ReadPlaylist {
  const out: ReadPlaylist = {
    mediaSequence: -1,
    targetDuration: -1,
    segments: [],
    openParts: [],
    maps: [],
    preloadHint: undefined,
    ended: false,
    reports: [],
  };
  let parts: string[] = [];
  let gap = false;
  let discontinuity = false;
  let durationS = 0;
  const attr = (line: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(line)?.[1] ?? '';
  for (const line of text.split('\n')) {
    if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) out.mediaSequence = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-TARGETDURATION:')) out.targetDuration = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-MAP:')) out.maps.push(attr(line, 'URI'));
    else if (line.startsWith('#EXT-X-PART:')) parts.push(attr(line, 'URI'));
    else if (line.startsWith('#EXT-X-PRELOAD-HINT:')) out.preloadHint = attr(line, 'URI');
    else if (line.startsWith('#EXT-X-RENDITION-REPORT:')) out.reports.push(attr(line, 'URI'));
    else if (line === '#EXT-X-GAP') gap = true;
    else if (line === '#EXT-X-DISCONTINUITY') discontinuity = true;
    else if (line === '#EXT-X-ENDLIST') out.ended = true;
    else if (line.startsWith('#EXTINF:')) durationS = Number.parseFloat(line.slice(8));
    else if (line !== '' && !line.startsWith('#')) {
      out.segments.push({ uri: line, durationS, gap, discontinuity, parts });
      parts = [];
      gap = false;
      discontinuity = false;
    }
  }
  out.openParts = parts;
  return out;
}

/** The variant URIs of a multivariant playlist, in order. */
export function variants(text: string): string[] {
  return text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

/** Log records as objects, for asserting what operators are told. */
export function recordingLogger(): { log: Logger; records: Array<Record<string, unknown>> } {
  const records: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'debug' },
    { write: (s: string) => void records.push(JSON.parse(s) as Record<string, unknown>) },
  );
  return { log, records };
}

/**
 * A transcoder without ffmpeg: each rung re-emits the source frames it is fed, `delayFrames`
 * behind (transcoding latency), under the rung's own codec configuration. `stop()` resolves
 * when the test calls `exit()` if `holdStop` is set, as a process that takes its time to die.
 */
export class FakeTranscoder implements StreamTranscoder {
  readonly hooks: TranscoderHooks;
  readonly rungs: string[];
  readonly #delay: number;
  readonly #holdStop: boolean;
  #sinks: StreamSink[] = [];
  #pending: MediaFrame[] = [];
  #exit: (() => void) | undefined;
  started = false;
  stopCalls = 0;
  exited = false;
  fed = 0;

  constructor(
    hooks: TranscoderHooks,
    opts: { rungs?: string[]; delayFrames?: number; holdStop?: boolean } = {},
  ) {
    this.hooks = hooks;
    this.rungs = opts.rungs ?? ['240p'];
    this.#delay = opts.delayFrames ?? 0;
    this.#holdStop = opts.holdStop ?? false;
  }

  start(_video: H264Config, audio: AacConfig | undefined): void {
    this.started = true;
    this.#sinks = this.rungs.map((r) => this.hooks.outputFor(r));
    for (const s of this.#sinks) {
      s.videoConfig(RUNG_VIDEO);
      if (audio) s.audioConfig(audio);
    }
  }

  frame(f: MediaFrame): void {
    this.fed++;
    this.#pending.push(f);
    while (this.#pending.length > this.#delay) {
      const out = this.#pending.shift()!;
      for (const s of this.#sinks) s.frame(out);
    }
  }

  /** This rung's output stops (a degraded ladder): its sink ends. */
  dropRung(rung: string): void {
    const i = this.rungs.indexOf(rung);
    this.#sinks[i]?.end('unpublish');
    this.#sinks = this.#sinks.filter((_, k) => k !== i);
    this.rungs.splice(i, 1);
    this.hooks.rungsChanged([...this.rungs]);
  }

  stop(): Promise<void> {
    this.stopCalls++;
    for (const s of this.#sinks) s.end('unpublish');
    this.#sinks = [];
    if (!this.#holdStop) {
      this.exited = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#exit = () => {
        this.exited = true;
        resolve();
      };
    });
  }

  /** The held-back process finally exits. */
  exit(): void {
    this.#exit?.();
  }
}

/** A factory that records every transcoder it makes. */
export function fakeFactory(opts: ConstructorParameters<typeof FakeTranscoder>[1] = {}): {
  factory: TranscoderFactory;
  made: FakeTranscoder[];
} {
  const made: FakeTranscoder[] = [];
  return {
    made,
    factory: (_path, hooks) => {
      const t = new FakeTranscoder(hooks, { ...opts, rungs: [...(opts.rungs ?? ['240p'])] });
      made.push(t);
      return t;
    },
  };
}

/**
 * An origin that can crash (kill -9: everything it held is gone, nothing answers) and come back
 * as a new process. Pushes while it is down fail as HttpPush fails once its retries run out.
 */
export class FlakyOrigin implements OriginPush {
  readonly stored = new Map<string, PushObject>();
  /** Every push it accepted, in order, with the instance that took it. */
  readonly log: Array<{ instance: number } & PushOp> = [];
  down = false;
  instance = 1;
  /** Pushes (not probes) tried while it was down. */
  triedWhileDown = 0;
  probes = 0;

  put(obj: PushObject): Promise<void> {
    if (this.down) return this.#refuse(obj.path);
    this.stored.set(obj.path, obj);
    this.log.push({ instance: this.instance, op: 'put', obj });
    return Promise.resolve();
  }

  remove(path: string): Promise<void> {
    if (this.down) return this.#refuse(path);
    for (const p of [...this.stored.keys()]) {
      if (p === path || (path.endsWith('/') && p.startsWith(path))) this.stored.delete(p);
    }
    this.log.push({ instance: this.instance, op: 'remove', path });
    return Promise.resolve();
  }

  probe(): Promise<void> {
    this.probes++;
    return this.down ? Promise.reject(new Error('connect ECONNREFUSED')) : Promise.resolve();
  }

  originInstance(): string {
    return String(this.instance);
  }

  crash(): void {
    this.down = true;
    this.stored.clear();
  }

  /** A new process with an empty store; `quietly`: it went away between two pushes, none failed. */
  restart(opts: { quietly?: boolean } = {}): void {
    if (opts.quietly) this.stored.clear();
    this.down = false;
    this.instance++;
  }

  /** What a player following this origin's playlists would not find (empty: the stream is whole). */
  missing(stream: string): string[] {
    const out: string[] = [];
    const need = (path: string) => {
      if (!this.stored.has(path)) out.push(path);
    };
    const mv = this.stored.get(`${stream}/index.m3u8`);
    if (!mv) return [`${stream}/index.m3u8`];
    for (const v of variants(mv.body.toString())) {
      const playlist = `${stream}/${v}`;
      const base = playlist.slice(0, playlist.lastIndexOf('/') + 1);
      const p = this.stored.get(playlist);
      if (!p) {
        out.push(playlist);
        continue;
      }
      const read = readPlaylist(p.body.toString());
      for (const m of read.maps) need(base + m);
      for (const s of read.segments) {
        if (!s.gap) need(base + s.uri);
        for (const part of s.parts) need(base + part);
      }
      for (const part of read.openParts) need(base + part);
    }
    return out;
  }

  #refuse(path: string): Promise<void> {
    this.triedWhileDown++;
    return Promise.reject(
      new CorralError('PUSH_FAILED', `PUT ${path} failed after 4 attempts: connect ECONNREFUSED`, {
        recoverable: true,
      }),
    );
  }
}
