/**
 * Availability: from a keyframe leaving the broadcaster to its segment being downloadable on the
 * viewer port. The server is composed here from the same pieces as startServer, with one
 * addition: a proxy between the RTMP ingest and the packager that notes the wall-clock arrival
 * of every video keyframe. On loopback that is the moment the broadcaster sent it, give or take
 * a fraction of a millisecond (plus any event-loop delay, which is part of what we measure).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config/load.js';
import { RtmpServer } from '../../src/ingest/server.js';
import type { PublishRequest, PublishTarget } from '../../src/ingest/types.js';
import type { MediaFrame, StreamSink } from '../../src/media/types.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { Origin, createStore } from '../../src/origin/index.js';
import { CacheNode } from '../../src/cache/index.js';
import { Packager } from '../../src/package/registry.js';
import { pino } from 'pino';
import { broadcast, stopBroadcast } from '../lib/media.js';
import { sleep, type Procs } from '../lib/procs.js';
import { httpGet, summarize, type Summary } from './util.js';

export interface AvailabilityOptions {
  input: string;
  /** Seconds of steady-state stream to measure. */
  seconds: number;
  pollMs: number;
  /** Segments at the start left out: the first playlist GETs race the stream's creation. */
  warmupSegments: number;
  verbose: boolean;
}

export interface SegmentSample {
  seq: number;
  durationMs: number;
  /** Every time below is ms after the keyframe that starts the segment arrived at ingest. */
  nextKeyframe: number;
  packaged: number;
  listed: number;
  downloaded: number;
  bytes: number;
}

export interface AvailabilityResult {
  segments: number;
  pollMs: number;
  /** Mean time from one playlist poll's start to the next (interval + request time). */
  pollCycleMs: number;
  availabilityMs: Summary;
  overDurationMs: Summary;
  /** Where the overhead goes (ms): cut = packager emitted segment after the next keyframe came. */
  breakdown: { gopMs: Summary; cutMs: Summary; listedMs: Summary; fetchMs: Summary };
  /** Seq 0, excluded from the figures: availability, its duration, and listed-after-packaged (ms). */
  firstSegment?: { availabilityMs: number; durationMs: number; listedAfterPackagedMs: number };
  serverLog: string[];
}

interface Marks {
  /** dts (publisher timeline, ms) of the session's first frame: the packager's timeline origin. */
  firstDts?: number;
  keyframes: Map<number, number>;
}

/** A PublishTarget that forwards to the packager and timestamps keyframes on the way. */
function markingTarget(inner: PublishTarget, marks: Marks): PublishTarget {
  return {
    async open(req: PublishRequest): Promise<StreamSink> {
      const sink = await inner.open(req);
      return {
        videoConfig: (c) => sink.videoConfig(c),
        audioConfig: (c) => sink.audioConfig(c),
        frame: (f: MediaFrame) => {
          const now = performance.now();
          // The packager's stream timeline starts at the first frame of any kind (LiveStream).
          marks.firstDts ??= f.dts;
          if (f.type === 'video' && f.keyframe && !marks.keyframes.has(f.dts))
            marks.keyframes.set(f.dts, now);
          sink.frame(f);
        },
        end: (r) => sink.end(r),
      };
    },
  };
}

/** Keyframe arrival for a stream-timeline ms; exact normally, nearest within 2 ms as a guard. */
function arrivalOf(marks: Marks, startMs: number): number | undefined {
  const dts = startMs + (marks.firstDts ?? 0);
  const exact = marks.keyframes.get(dts);
  if (exact !== undefined) return exact;
  for (const [k, t] of marks.keyframes) if (Math.abs(k - dts) <= 2) return t;
  return undefined;
}

export async function measureAvailability(procs: Procs, o: AvailabilityOptions): Promise<AvailabilityResult> {
  const config = loadConfig({
    overrides: {
      'rtmp.host': '127.0.0.1',
      'rtmp.port': 0,
      'rtmps.enabled': false,
      'origin.port': 0,
      'cache.port': 0,
    },
  });
  // Warnings and errors from the server are kept: a slow path or a failed push is a finding.
  const serverLog: string[] = [];
  const log = pino(
    { level: 'warn', base: undefined },
    {
      write: (line: string) => {
        if (o.verbose) process.stderr.write(line);
        if (serverLog.length < 200) serverLog.push(line.trim());
      },
    },
  );

  const closers: Array<() => Promise<void> | void> = [];
  // Also set on error, so the polling loop never outlives the measurement.
  let stop = false;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  closers.push(() => agent.destroy());
  try {
    const registry = createRegistry();
    const origin = new Origin({
      store: await createStore(config.origin),
      config: config.origin,
      logger: log.child({ c: 'origin' }),
      registry,
    });
    closers.push(() => origin.close());
    const originAddr = await origin.listen(0, '127.0.0.1');
    const packager = new Packager({
      config,
      push: origin.push,
      logger: log.child({ c: 'package' }),
      registry,
    });
    closers.push(() => packager.close());
    const marks: Marks = { keyframes: new Map() };
    const rtmp = new RtmpServer({
      target: markingTarget(packager, marks),
      limits: config.ingest,
      apps: config.apps,
      logger: log.child({ c: 'ingest' }),
      registry,
      publishKey: config.publishKey,
    });
    closers.push(() => rtmp.close());
    const rtmpAddr = await rtmp.listen(0, '127.0.0.1');
    const edge = new CacheNode({
      config: config.cache,
      upstream: `http://127.0.0.1:${originAddr.port}`,
      logger: log.child({ c: 'edge' }),
      registry: createRegistry(),
      role: 'edge',
    });
    closers.push(() => edge.close());
    const viewer: AddressInfo = await edge.listen(0, '127.0.0.1');

    const packaged = new Map<number, { at: number; startMs: number; durationMs: number; bytes: number }>();
    packager.on('segment', (e) => {
      if (e.rendition === 'src') {
        packaged.set(e.sequence, {
          at: performance.now(),
          startMs: e.startMs,
          durationMs: e.durationS * 1000,
          bytes: e.bytes,
        });
      }
    });

    const base = `http://127.0.0.1:${viewer.port}/live/bench/src/`;
    const listed = new Map<number, number>();
    const downloaded = new Map<number, { at: number; bytes: number }>();
    const failures: string[] = [];
    let polls = 0;
    let pollSpan = 0;

    // The eager viewer: one playlist GET at a time, the next starting pollMs after the last one
    // started (or at once if it took longer), and every newly listed segment fetched at once.
    const poller = (async () => {
      const t0 = performance.now();
      while (!stop) {
        const started = performance.now();
        try {
          const res = await httpGet(agent, base + 'index.m3u8');
          if (res.status === 200) {
            for (const m of res.body.toString('utf8').matchAll(/^seg-(\d+)\.m4s$/gm)) {
              const seq = Number(m[1]);
              if (listed.has(seq)) continue;
              listed.set(seq, res.doneAt);
              httpGet(agent, `${base}seg-${seq}.m4s`).then(
                (r) =>
                  r.status === 200
                    ? downloaded.set(seq, { at: r.doneAt, bytes: r.body.length })
                    : failures.push(`seg-${seq}: HTTP ${r.status}`),
                (e: Error) => failures.push(`seg-${seq}: ${e.message}`),
              );
            }
          }
        } catch (e) {
          failures.push(`playlist: ${(e as Error).message}`);
        }
        polls++;
        pollSpan = performance.now() - t0;
        await sleep(Math.max(0, o.pollMs - (performance.now() - started)));
      }
    })();

    const caster = broadcast(procs, o.input, `rtmp://127.0.0.1:${rtmpAddr.port}/live/bench`);
    // Enough segments to cover the window after warm-up; bounded by wall time whatever happens.
    const wanted = o.warmupSegments + Math.ceil(o.seconds);
    const deadline = performance.now() + (o.seconds + 30) * 1000;
    while (downloaded.size < wanted + 1 && performance.now() < deadline) {
      if (!procs.running(caster)) throw new Error(`broadcaster exited early:\n${caster.tail.join('\n')}`);
      await sleep(100);
    }
    stop = true;
    await poller;
    await stopBroadcast(procs, caster);
    await sleep(200);

    const samples: SegmentSample[] = [];
    for (const [seq, p] of [...packaged].sort((a, b) => a[0] - b[0])) {
      const arrived = arrivalOf(marks, p.startMs);
      const next = arrivalOf(marks, p.startMs + p.durationMs);
      const seen = listed.get(seq);
      const got = downloaded.get(seq);
      if (arrived === undefined || next === undefined || seen === undefined || got === undefined) continue;
      if (got.bytes !== p.bytes) failures.push(`seg-${seq}: ${got.bytes} bytes served, ${p.bytes} packaged`);
      samples.push({
        seq,
        durationMs: p.durationMs,
        nextKeyframe: next - arrived,
        packaged: p.at - arrived,
        listed: seen - arrived,
        downloaded: got.at - arrived,
        bytes: got.bytes,
      });
    }
    const first = samples.find((s) => s.seq === 0);
    const steady = samples.filter((s) => s.seq >= o.warmupSegments).slice(0, Math.ceil(o.seconds));
    if (steady.length < Math.min(5, o.seconds)) {
      throw new Error(
        `only ${steady.length} segments measured; failures: ${failures.slice(0, 5).join('; ')}`,
      );
    }
    serverLog.push(...failures.map((f) => `viewer: ${f}`));
    return {
      segments: steady.length,
      pollMs: o.pollMs,
      pollCycleMs: Math.round((pollSpan / Math.max(1, polls)) * 10) / 10,
      availabilityMs: summarize(steady.map((s) => s.downloaded)),
      overDurationMs: summarize(steady.map((s) => s.downloaded - s.durationMs)),
      breakdown: {
        gopMs: summarize(steady.map((s) => s.nextKeyframe)),
        cutMs: summarize(steady.map((s) => s.packaged - s.nextKeyframe)),
        listedMs: summarize(steady.map((s) => s.listed - s.packaged)),
        fetchMs: summarize(steady.map((s) => s.downloaded - s.listed)),
      },
      ...(first && {
        firstSegment: {
          availabilityMs: Math.round(first.downloaded),
          durationMs: first.durationMs,
          listedAfterPackagedMs: Math.round(first.listed - first.packaged),
        },
      }),
      serverLog,
    };
  } finally {
    stop = true;
    for (const c of closers.reverse()) await c();
  }
}
