/**
 * Attack 3: 199 connections that finish the handshake and then send one byte every 20 s, then a
 * real publisher. Run twice: attackers on another loopback address (127.0.0.2, the per-address
 * limit is what protects the publisher) and on the publisher's own address (only the publish
 * timeout can free the slots then).
 */
import { startCorral } from '../lib/corral.js';
import { sleep, type Child } from '../lib/procs.js';
import { publishUntilIn } from './takeover.js';
import { connect, handshake, type RtmpPeer } from './rtmp.js';
import { codeCounter, type Ctx, type Row } from './util.js';

const N = 199;

interface Case {
  from: string;
  refusedAtOnce: number;
  handshaken: number;
  openWhenPublishing: number;
  inMs: number;
  refusals: number;
  limitLogs: number;
}

async function oneCase(ctx: Ctx, from: string): Promise<Case> {
  const codes = codeCounter();
  const c = await startCorral(ctx.procs, { args: ['--transcode', 'false'], onLog: codes.onLog });
  const peers: RtmpPeer[] = [];
  let pub: Child | undefined;
  let trickle: NodeJS.Timeout | undefined;
  try {
    const port = Number(new URL(c.rtmp).port);
    let handshaken = 0;
    await Promise.all(
      Array.from({ length: N }, async () => {
        const p = await connect(port, from);
        if (!p) return;
        peers.push(p);
        if (await handshake(p, 3000)) handshaken++;
      }),
    );
    await sleep(500);
    const refusedAtOnce = N - peers.filter((p) => !p.closed()).length;
    trickle = setInterval(() => {
      for (const p of peers) if (!p.closed()) p.socket.write(Buffer.from([0]));
    }, 20_000);
    for (const p of peers) if (!p.closed()) p.socket.write(Buffer.from([0]));
    const openWhenPublishing = peers.filter((p) => !p.closed()).length;
    const got = await publishUntilIn(
      ctx,
      `${c.rtmp}/live/atk`,
      `${c.origin}/live/atk/index.m3u8`,
      45_000,
      (t) => t.includes('avc1'),
    );
    pub = got.child;
    return {
      from,
      refusedAtOnce,
      handshaken,
      openWhenPublishing,
      inMs: got.inMs,
      refusals: got.refusals,
      limitLogs: codes.counts.get('RTMP_LIMIT') ?? 0,
    };
  } finally {
    clearInterval(trickle);
    for (const p of peers) p.socket.destroy();
    if (pub) await ctx.procs.stop(pub, 'SIGKILL');
    await ctx.procs.stop(c.child);
  }
}

export async function trickle(ctx: Ctx): Promise<Row> {
  const cases = [await oneCase(ctx, '127.0.0.2'), await oneCase(ctx, '127.0.0.1')];
  const s = (x: Case) =>
    `attackers on ${x.from}: ${x.refusedAtOnce}/${N} refused at once (${x.handshaken} handshaken), ${x.openWhenPublishing} open; publisher in after ${(x.inMs / 1000).toFixed(1)} s, ${x.refusals} refusals`;
  return {
    name: 'trickle',
    kind: 'attack',
    what: '3. 199 handshaken connections, 1 byte / 20 s, then a real publisher',
    cases: `${N} x 2 (other address, same address)`,
    outcome: cases.map(s).join('; '),
    goal: 'per-address limit refuses most at once; publisher gets in',
    pass: cases.every((x) => Number.isFinite(x.inMs) && x.refusedAtOnce >= N - 10),
    figures: { cases },
  };
}
