/**
 * Attack 1: after the handshake (no connect, so a publish key cannot help), chunk size 1 and
 * unfinished 1 MiB messages sent one byte per chunk on many chunk streams. Each payload byte
 * costs two wire bytes; the server must charge what the reassembly really holds.
 */
import { startCorral } from '../lib/corral.js';
import { sleep, type Child } from '../lib/procs.js';
import { connect, handshake, type RtmpPeer } from './rtmp.js';
import {
  codeCounter,
  mb,
  MB,
  playlistState,
  publisher,
  rssSampler,
  treeRss,
  waitLive,
  type Ctx,
  type Row,
} from './util.js';

const CONNS = 3;
const PER_CONN = 40e6;

function drainOrClose(peer: RtmpPeer): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      peer.socket.off('drain', done);
      peer.socket.off('close', done);
      resolve();
    };
    peer.socket.on('drain', done);
    peer.socket.on('close', done);
    if (peer.closed()) done();
  });
}

async function floodOne(port: number): Promise<{ peer?: RtmpPeer; sent: number }> {
  const peer = await connect(port);
  if (!peer || !(await handshake(peer))) return { peer, sent: 0 };
  const s = peer.socket;
  s.write(Buffer.from('02000000000004010000000000000001', 'hex'));
  let sent = 0;
  const bytes = 1 << 20;
  for (let csid = 4; csid < 60 && sent < PER_CONN && !peer.closed(); csid++) {
    const wire = Buffer.alloc(11 + 2 * bytes);
    Buffer.from([csid, 0, 0, 0, 0xff, 0xff, 0xff, 9, 1, 0, 0, 0]).copy(wire);
    for (let i = 1; i < bytes; i++) wire[11 + 2 * i] = 0xc0 | csid;
    // Up to 15 MiB of the same 16 MiB message: it is never finished.
    for (let m = 0; m < 15 && sent < PER_CONN && !peer.closed(); m++) {
      const ok = s.write(m === 0 ? wire : wire.subarray(13));
      sent += bytes;
      if (!ok) await drainOrClose(peer);
    }
  }
  return { peer, sent };
}

interface Case {
  config: string;
  baseline: number;
  peak: number;
  growth: number;
  closed: number;
  codes: Record<string, number>;
  sent: number;
  advanced: number;
  attackS: number;
}

/**
 * Two configurations: the default, where the 10 s publish timeout may close a slow flood before
 * its buffers fill, and one with that timeout at 60 s, so only the memory accounting can stop it.
 */
export async function flood(ctx: Ctx): Promise<Row> {
  const cases = [await oneCase(ctx, []), await oneCase(ctx, ['--set', 'ingest.publishTimeoutMs=60000'])];
  const show = (x: Case) =>
    `${x.config}: RSS ${mb(x.baseline)} -> peak ${mb(x.peak)} (+${mb(x.growth)}); ${x.closed}/${CONNS} closed (${Object.entries(
      x.codes,
    )
      .map(([k, v]) => `${k} x${v}`)
      .join(
        ', ',
      )}); ${mb(x.sent)} payload sent; playlist +${x.advanced} segments in ${x.attackS.toFixed(0)} s`;
  return {
    name: 'flood',
    kind: 'attack',
    what: '1. small-chunk RTMP flood (chunk size 1, unauthenticated)',
    cases: `${CONNS} conns x ${PER_CONN / 1e6} MB, 2 configs`,
    outcome: cases.map(show).join('; '),
    goal: 'growth < 300 MB, closed RTMP_LIMIT, playlist advances',
    pass:
      cases.every(
        (x) =>
          x.growth < 300 * MB &&
          x.closed === CONNS &&
          x.advanced > 0 &&
          (x.codes.RTMP_LIMIT ?? 0) + (x.codes.RTMP_TIMEOUT ?? 0) >= CONNS,
      ) && (cases[1]!.codes.RTMP_LIMIT ?? 0) >= CONNS,
    figures: { cases },
  };
}

async function oneCase(ctx: Ctx, extra: string[]): Promise<Case> {
  const codes = codeCounter();
  const c = await startCorral(ctx.procs, { args: ['--transcode', 'false', ...extra], onLog: codes.onLog });
  let pub: Child | undefined;
  try {
    const port = Number(new URL(c.rtmp).port);
    pub = publisher(ctx, `${c.rtmp}/live/atk`);
    const live = await waitLive(c.viewer, 'atk');
    await sleep(2000);
    const baseline = treeRss(c.child.pid);
    const seqBefore = (await playlistState(live.playlists[0]!))?.seq ?? NaN;
    const sampler = rssSampler(c.child.pid);
    const t0 = Date.now();
    let seqs: number[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        seqs.push((await playlistState(live.playlists[0]!))?.seq ?? NaN);
        await sleep(1000);
      }
    })();
    const results = await Promise.all(Array.from({ length: CONNS }, () => floodOne(port)));
    await sleep(2000);
    polling = false;
    await poller;
    const attackS = (Date.now() - t0) / 1000;
    const { peak } = sampler.stop();
    seqs = seqs.filter(Number.isFinite);
    const closed = results.filter((r) => r.peer?.closed() ?? true).length;
    const sent = results.reduce((s, r) => s + r.sent, 0);
    const advanced = seqs.length > 0 ? Math.max(...seqs) - seqBefore : 0;
    return {
      config: extra.length ? 'publishTimeoutMs=60000' : 'defaults',
      baseline,
      peak,
      growth: peak - baseline,
      closed,
      codes: Object.fromEntries(codes.counts),
      sent,
      advanced,
      attackS,
    };
  } finally {
    if (pub) await ctx.procs.stop(pub, 'SIGKILL');
    await ctx.procs.stop(c.child);
  }
}
