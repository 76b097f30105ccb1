/**
 * Attack 2: a frozen broadcaster. The old session published, sent a little media, then only a
 * ping every 10 s. A new publisher of the same name comes from the same address: with no key
 * (takeover only once the old session is quiet) and with a key (takeover at once).
 */
import { startCorral } from '../lib/corral.js';
import { sleep, type Child } from '../lib/procs.js';
import { publishUntilIn } from './takeover.js';
import { connect, handshake, publish, sendAudio, sendPing } from './rtmp.js';
import { codeCounter, type Ctx, type Row } from './util.js';

interface Case {
  key: string;
  oldAccepted: string;
  inMs: number;
  refusals: number;
  oldClosedAfterMs: number;
}

async function oneCase(ctx: Ctx, key: string): Promise<Case> {
  const codes = codeCounter();
  const args = ['--transcode', 'false', ...(key ? ['--set', `publishKey=${key}`] : [])];
  const c = await startCorral(ctx.procs, { args, onLog: codes.onLog });
  let pub: Child | undefined;
  const suffix = key ? `?key=${key}` : '';
  try {
    const port = Number(new URL(c.rtmp).port);
    const old = await connect(port);
    if (!old || !(await handshake(old))) throw new Error('old session: no handshake');
    const oldAccepted = await publish(old, port, `atk${suffix}`);
    sendAudio(old);
    const pinger = setInterval(() => sendPing(old), 10_000);
    sendPing(old);
    await sleep(3000);
    const t0 = Date.now();
    // "In" means the new publisher's video reached the origin: a media playlist with segments.
    const got = await publishUntilIn(
      ctx,
      `${c.rtmp}/live/atk${suffix}`,
      `${c.origin}/live/atk/index.m3u8`,
      60_000,
      (t) => t.includes('avc1'),
    );
    pub = got.child;
    clearInterval(pinger);
    const oldClosedAfterMs = old.closedAt === undefined ? NaN : old.closedAt - t0;
    old.socket.destroy();
    return {
      key: key ? 'with key' : 'no key',
      oldAccepted,
      inMs: got.inMs,
      refusals: got.refusals,
      oldClosedAfterMs,
    };
  } finally {
    if (pub) await ctx.procs.stop(pub, 'SIGKILL');
    await ctx.procs.stop(c.child);
  }
}

export async function frozen(ctx: Ctx): Promise<Row> {
  const cases = [await oneCase(ctx, ''), await oneCase(ctx, 'K')];
  const s = (x: Case) =>
    `${x.key}: old ${x.oldAccepted}, new in after ${(x.inMs / 1000).toFixed(1)} s, ${x.refusals} refusals, old closed after ${(x.oldClosedAfterMs / 1000).toFixed(1)} s`;
  return {
    name: 'frozen',
    kind: 'attack',
    what: '2. frozen broadcaster (ping every 10 s, no media), new publisher same address',
    cases: 'no key; publishKey=K',
    outcome: cases.map(s).join('; '),
    goal: 'new publisher in within seconds',
    pass: cases.every((x) => x.inMs < 10_000),
    figures: { cases },
  };
}
