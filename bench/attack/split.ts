/**
 * The split deployment as separate processes on fixed loopback ports (a restarted process must
 * come back on the port its neighbours know): origin, ingest pushing to it over HTTP, and
 * edge -> shield -> counting proxy -> origin. The proxy is ours, so "origin requests for a path"
 * is an exact count rather than a delta of a metric that other traffic also moves.
 */
import http from 'node:http';
import { CORRAL_BIN } from '../lib/corral.js';
import { sleep, type Child } from '../lib/procs.js';
import { req, type Ctx } from './util.js';

export const PORTS = {
  origin: 30410,
  proxy: 30411,
  rtmp: 30412,
  rtmps: 30413,
  metrics: 30414,
  shield: 30415,
  edge: 30416,
};
const TOKEN = 'bench-push-token';

export interface Split {
  origin: Child;
  ingest: Child;
  shield: Child;
  edge: Child;
  originUrl: string;
  edgeUrl: string;
  rtmp: string;
  /** Requests the origin received through the shield, by path (query dropped) and in total. */
  upstream: Map<string, number>;
  upstreamTotal(): number;
  resetUpstream(): void;
  startOrigin(): Promise<Child>;
  startShield(): Promise<Child>;
  close(): Promise<void>;
}

export async function waitHealthy(
  url: string,
  child: Child,
  ctx: Ctx,
  path = '/healthz',
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!ctx.procs.running(child)) throw new Error(`${child.name} exited:\n${child.tail.join('\n')}`);
    if ((await req(`${url}${path}`, { timeoutMs: 1000 })).status === 200) return;
    await sleep(100);
  }
  throw new Error(`${child.name} not healthy after ${timeoutMs} ms:\n${child.tail.join('\n')}`);
}

export async function startSplit(
  ctx: Ctx,
  o: { edgeArgs?: string[]; shieldArgs?: string[]; ingestArgs?: string[] } = {},
): Promise<Split> {
  const base = (cmd: string, ...args: string[]) => [CORRAL_BIN, cmd, '--log-level', 'warn', ...args];
  const node = process.execPath;
  const originUrl = `http://127.0.0.1:${PORTS.origin}`;
  const upstream = new Map<string, number>();
  let total = 0;
  const upAgent = new http.Agent({ keepAlive: true, maxSockets: 512 });
  const proxy = http.createServer((inReq, inRes) => {
    const path = (inReq.url ?? '').split('?')[0]!;
    upstream.set(path, (upstream.get(path) ?? 0) + 1);
    total++;
    const out = http.request(
      `${originUrl}${inReq.url}`,
      { method: inReq.method, headers: inReq.headers, agent: upAgent },
      (r) => {
        inRes.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(inRes);
      },
    );
    out.on('error', () => {
      if (!inRes.headersSent) inRes.writeHead(502);
      inRes.end();
    });
    inReq.pipe(out);
  });
  await new Promise<void>((r) => proxy.listen(PORTS.proxy, '127.0.0.1', r));

  const startOrigin = async () => {
    const c = ctx.procs.start(
      'origin',
      node,
      base(
        'origin',
        '--origin-port',
        String(PORTS.origin),
        '--origin-host',
        '127.0.0.1',
        '--push-token',
        TOKEN,
      ),
    );
    await waitHealthy(originUrl, c, ctx);
    return c;
  };
  const shieldUrl = `http://127.0.0.1:${PORTS.shield}`;
  const startShield = async () => {
    const c = ctx.procs.start(
      'shield',
      node,
      base(
        'shield',
        ...['--listen', `127.0.0.1:${PORTS.shield}`, '--upstream', `http://127.0.0.1:${PORTS.proxy}`],
        ...(o.shieldArgs ?? []),
      ),
    );
    await waitHealthy(shieldUrl, c, ctx);
    return c;
  };
  const origin = await startOrigin();
  const shield = await startShield();
  const edgeUrl = `http://127.0.0.1:${PORTS.edge}`;
  const edge = ctx.procs.start(
    'edge',
    node,
    base('edge', '--listen', `127.0.0.1:${PORTS.edge}`, '--upstream', shieldUrl, ...(o.edgeArgs ?? [])),
  );
  await waitHealthy(edgeUrl, edge, ctx);
  const ingest = ctx.procs.start(
    'ingest',
    node,
    base(
      'ingest',
      ...['--rtmp-port', String(PORTS.rtmp), '--rtmps-port', String(PORTS.rtmps)],
      ...['--rtmp-host', '127.0.0.1', '--rtmps-host', '127.0.0.1', '--metrics-port', String(PORTS.metrics)],
      ...['--origin', originUrl, '--push-token', TOKEN, '--transcode', 'false'],
      ...(o.ingestArgs ?? []),
    ),
  );
  await waitHealthy(`http://127.0.0.1:${PORTS.metrics}`, ingest, ctx, '/metrics');
  const split: Split = {
    origin,
    ingest,
    shield,
    edge,
    originUrl,
    edgeUrl,
    rtmp: `rtmp://127.0.0.1:${PORTS.rtmp}`,
    upstream,
    upstreamTotal: () => total,
    resetUpstream: () => {
      upstream.clear();
      total = 0;
    },
    startOrigin,
    startShield,
    async close() {
      for (const c of [split.edge, split.ingest, split.shield, split.origin])
        await ctx.procs.stop(c, 'SIGTERM', 3000);
      upAgent.destroy();
      await new Promise<void>((r) => proxy.close(() => r()));
      proxy.closeAllConnections();
    },
  };
  return split;
}
