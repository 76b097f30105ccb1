/**
 * Attack 4: 62 publishes that never send media, from 8 loopback addresses (the per-address limit
 * would otherwise stop them first), against 64 stream slots. Then four real publishers: numbers
 * 63 and 64 fit beside the squatters, 65 and 66 only get in once the squatters' slots are freed.
 */
import { startCorral } from '../lib/corral.js';
import { type Child } from '../lib/procs.js';
import { publishUntilIn, type GotIn } from './takeover.js';
import { connect, handshake, publish, type RtmpPeer } from './rtmp.js';
import { codeCounter, type Ctx, type Row } from './util.js';

const SQUATTERS = 62;
const REAL = 4;

export async function slots(ctx: Ctx): Promise<Row> {
  const codes = codeCounter();
  const c = await startCorral(ctx.procs, { args: ['--transcode', 'false'], onLog: codes.onLog });
  const peers: RtmpPeer[] = [];
  const pubs: Child[] = [];
  try {
    const port = Number(new URL(c.rtmp).port);
    const verdicts = await Promise.all(
      Array.from({ length: SQUATTERS }, async (_, i) => {
        const p = await connect(port, `127.0.1.${1 + (i % 8)}`);
        if (!p) return 'closed';
        peers.push(p);
        if (!(await handshake(p))) return 'no handshake';
        return publish(p, port, `squat${i}`);
      }),
    );
    const t0 = Date.now();
    const accepted = verdicts.filter((v) => v === 'accepted').length;
    const got: GotIn[] = await Promise.all(
      Array.from({ length: REAL }, (_, i) =>
        publishUntilIn(ctx, `${c.rtmp}/live/real${i}`, `${c.origin}/live/real${i}/index.m3u8`, 30_000, (t) =>
          t.includes('avc1'),
        ),
      ),
    );
    for (const g of got) if (g.child) pubs.push(g.child);
    const held = peers.map((p) => (p.closedAt === undefined ? NaN : p.closedAt - t0));
    const heldMax = Math.max(...held.filter(Number.isFinite));
    const stillOpen = peers.filter((p) => !p.closed()).length;
    const ins = got.map((g) => g.inMs);
    return {
      name: 'slots',
      kind: 'attack',
      what: '4. publishes that never send media vs 64 stream slots',
      cases: `${SQUATTERS} squatters + ${REAL} real`,
      outcome: `${accepted}/${SQUATTERS} squatters accepted, all closed within ${(heldMax / 1000).toFixed(1)} s (${stillOpen} still open); real #63..#66 in after ${ins.map((x) => (x / 1000).toFixed(1)).join(', ')} s, ${got.reduce((s, g) => s + g.refusals, 0)} refusals`,
      goal: '63rd..64th (and 65th..66th) real publish in within 10 s',
      pass: ins.every((x) => x < 10_000),
      figures: {
        verdicts,
        accepted,
        held,
        stillOpen,
        got: got.map((g) => ({ inMs: g.inMs, refusals: g.refusals })),
        codes: Object.fromEntries(codes.counts),
      },
    };
  } finally {
    for (const p of peers) p.socket.destroy();
    for (const p of pubs) await ctx.procs.stop(p, 'SIGKILL');
    await ctx.procs.stop(c.child);
  }
}
