import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseMediaPlaylist } from '../../src/hls/index.js';
import { FFMPEG, testPatternArgs } from '../support/ffmpeg.js';
import { freePort } from '../support/net.js';
import { parseMultivariant } from '../support/hls.js';

const BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));
const TOKEN = 'restart-token-1';
const NAME = 'live/restart';

/** A corral command as its own process, its output kept for the failure message. */
function corral(args: string[]): { proc: ChildProcess; output: () => string } {
  const proc = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-20_000));
  proc.stdout!.on('data', keep);
  proc.stderr!.on('data', keep);
  return { proc, output: () => out };
}

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => p.once('exit', () => resolve()));
}

async function status(url: string, method = 'GET'): Promise<number> {
  try {
    const r = await fetch(url, { method, signal: AbortSignal.timeout(2000) });
    await r.arrayBuffer();
    return r.status;
  } catch {
    return 0;
  }
}

interface Whole {
  segments: number;
  gaps: string[];
  /** The highest media sequence number listed, per rendition. */
  last: Map<string, number>;
}

/**
 * What a new viewer needs, all there: the multivariant, every media playlist, every init segment
 * and listed segment and part, and the stream in streams.json. Returns what is missing instead.
 */
async function check(base: string): Promise<Whole | string> {
  const mv = await fetch(`${base}/${NAME}/index.m3u8`).catch(() => undefined);
  if (mv?.status !== 200) return `index.m3u8 ${mv?.status ?? 'unreachable'}`;
  const streams = (await (await fetch(`${base}/streams.json`)).json()) as {
    streams: Array<{ name: string }>;
  };
  if (!streams.streams.some((s) => s.name === NAME)) return 'streams.json lacks the stream';
  const whole: Whole = { segments: 0, gaps: [], last: new Map() };
  for (const v of parseMultivariant(await mv.text())) {
    const url = `${base}/${NAME}/${v.uri}`;
    const res = await fetch(url);
    if (res.status !== 200) return `${v.uri} ${res.status}`;
    const p = parseMediaPlaylist(await res.text());
    const dir = url.slice(0, url.lastIndexOf('/') + 1);
    const need = new Set<string>();
    for (const s of p.segments) {
      if (s.map) need.add(s.map);
      if (s.gap) whole.gaps.push(`${v.uri} ${s.uri}`);
      else need.add(s.uri);
      for (const part of s.parts) need.add(part.uri);
    }
    for (const part of p.openParts) need.add(part.uri);
    const statuses = await Promise.all([...need].map(async (u) => [u, await status(dir + u)] as const));
    const bad = statuses.filter(([, s]) => s !== 200);
    if (bad.length > 0) return `${v.uri}: ${bad.map(([u, s]) => `${u} ${s}`).join(', ')}`;
    whole.segments += p.segments.length;
    whole.last.set(v.uri, p.mediaSequence + p.skippedSegments + p.segments.length - 1);
  }
  return whole;
}

/** The split deployment as separate processes; the origin is killed with SIGKILL and restarted. */
describe('an origin killed and restarted under a live stream', () => {
  const procs: ChildProcess[] = [];
  after(async () => {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map(exited));
  });

  it('is whole again (multivariant, init segments, playlists, window) within 3 s of answering', async (t) => {
    const [originPort, rtmpPort] = await Promise.all([freePort(), freePort()]);
    const base = `http://127.0.0.1:${originPort}`;
    const originArgs = ['origin', '--origin-host', '127.0.0.1', '--origin-port', String(originPort)];
    originArgs.push('--push-token', TOKEN, '--log-level', 'warn');
    const startOrigin = async () => {
      const o = corral(originArgs);
      procs.push(o.proc);
      return o;
    };
    let origin = await startOrigin();
    const ingest = corral([
      ...['ingest', '--origin', base, '--push-token', TOKEN],
      ...['--rtmp-host', '127.0.0.1', '--rtmp-port', String(rtmpPort), '--metrics-port', '0'],
      // Transcoding would be a second ffmpeg on two cores; the republish does not depend on it.
      ...['--transcode', 'false', '--set', 'rtmps.enabled=false', '--log-level', 'warn'],
    ]);
    procs.push(ingest.proc);
    const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, ms: number): Promise<T> => {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const v = await fn();
        if (v !== undefined) return v;
        await sleep(50);
      }
      throw new Error(`timed out: ${what}\n--- origin\n${origin.output()}\n--- ingest\n${ingest.output()}`);
    };
    // ffmpeg gives up at once on a refused connection: publish only once the ingest listens.
    await waitFor(
      'the ingest to listen',
      async () => (ingest.output().includes('publish:') ? true : undefined),
      30_000,
    );
    const ffmpeg = spawn(FFMPEG, testPatternArgs(`rtmp://127.0.0.1:${rtmpPort}/${NAME}`, { seconds: 60 }), {
      stdio: 'ignore',
    });
    procs.push(ffmpeg);

    const before = await waitFor(
      'the stream at the origin',
      async () => {
        const w = await check(base);
        return typeof w === 'string' || w.segments < 8 ? undefined : w;
      },
      30_000,
    );
    assert.equal(ffmpeg.exitCode, null, 'the publisher is still on');

    origin.proc.kill('SIGKILL');
    await exited(origin.proc);
    const killedAt = Date.now();
    await sleep(3000);
    origin = await startOrigin();
    const answeredAt = await waitFor(
      'the restarted origin to answer',
      async () => ((await status(`${base}/healthz`)) === 200 ? Date.now() : undefined),
      20_000,
    );
    let lastProblem = '';
    /** What a new viewer would have run into, from the moment the origin answered. */
    const seen: string[] = [];
    // The check that finds the stream whole takes a while itself: when it began is a lower bound.
    let checkFrom = 0;
    const again = await waitFor(
      'the stream whole again',
      async () => {
        checkFrom = Date.now();
        const w = await check(base);
        if (typeof w === 'string') {
          if (w !== lastProblem) seen.push(`${Date.now() - answeredAt} ms: ${w}`);
          lastProblem = w;
        }
        return typeof w === 'string' ? undefined : w;
      },
      10_000,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nlast problem: ${lastProblem}`);
    });
    const wholeMs = Date.now() - answeredAt;

    // Two more segments: what is published after the restart is plain media, never a gap.
    await sleep(2200);
    const later = await check(base);
    assert.equal(typeof later, 'object', String(later));
    const l = later as Whole;
    const outage = [...again.last].map(([r, n]) => `${r}: ${n - (before.last.get(r) ?? 0)}`);
    t.diagnostic(
      `origin restart: killed for ${answeredAt - killedAt} ms; whole again ${wholeMs} ms after it ` +
        `answered (that check began at ${checkFrom - answeredAt} ms); gaps listed: ${again.gaps.length} then ${l.gaps.length}; segments since the ` +
        `first check: ${outage.join(', ')}; until whole: ${seen.join('; ') || 'nothing missing'}`,
    );
    assert.ok(wholeMs <= 3000, `whole again after ${wholeMs} ms (last problem: ${lastProblem})`);
    assert.deepEqual(l.gaps, [], 'no segment is a gap');
    assert.deepEqual(again.gaps, [], 'the outage stayed within the window: nothing lost');
    for (const [r, n] of l.last) assert.ok(n > (again.last.get(r) ?? 0), `${r} moves on`);

    ffmpeg.kill('SIGKILL');
    await exited(ffmpeg);
    for (const p of [ingest.proc, origin.proc]) p.kill('SIGTERM');
    await Promise.all([exited(ingest.proc), exited(origin.proc)]);
  });
});
