/**
 * A transparent counting hop between the shield and the origin, run as its own process:
 *
 *   node --import tsx bench/latency/tap.ts PORT UPSTREAM_URL
 *
 * The origin's /metrics count requests by method and status only; this tells blocking playlist
 * reloads, parts and everything else apart. Requests and bodies are streamed both ways unchanged
 * (a held request stays held), and a client that goes away aborts its upstream request.
 * GET /__tap answers the counts as JSON and is not forwarded.
 */
import http from 'node:http';

const port = Number(process.argv[2]);
const upstream = new URL(process.argv[3] ?? '');
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const counts: Record<string, number> = {};
/** The last requests (ms since start, url, status, ms to the end of the answer): for diagnosis. */
const recent: Array<[number, string, number, number]> = [];
const t0 = performance.now();

/** What kind of object an origin request is for, from its URL alone. */
export function kindOf(url: string): string {
  const [path = '', query = ''] = url.split('?');
  if (path.endsWith('.m3u8')) return /(^|&)_HLS_msn=/.test(query) ? 'blocking-playlist' : 'playlist';
  if (/\/part-\d+-\d+\.m4s$/.test(path)) return 'part';
  if (/\/seg-\d+\.m4s$/.test(path)) return 'segment';
  if (/\/init[^/]*\.mp4$/.test(path)) return 'init';
  return 'other';
}

const HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade']);

function strip(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
  const out: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP.has(k)) out[k] = v;
  return out;
}

const server = http.createServer((req, res) => {
  if (req.url === '/__tap' || req.url === '/__tap/recent') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(req.url === '/__tap' ? counts : recent));
    return;
  }
  const start = performance.now();
  const kind = kindOf(req.url ?? '/');
  counts[kind] = (counts[kind] ?? 0) + 1;
  const up = http.request(
    {
      host: upstream.hostname,
      port: upstream.port,
      method: req.method,
      path: req.url,
      headers: { ...strip(req.headers), host: upstream.host },
      agent,
    },
    (ures) => {
      res.writeHead(ures.statusCode ?? 502, strip(ures.headers));
      ures.pipe(res);
      ures.on('end', () => {
        const now = performance.now();
        recent.push([Math.round(start - t0), req.url ?? '', ures.statusCode ?? 0, Math.round(now - start)]);
        if (recent.length > 3000) recent.shift();
      });
      ures.on('error', () => res.destroy());
    },
  );
  up.on('error', () => {
    counts['tap-error'] = (counts['tap-error'] ?? 0) + 1;
    if (!res.headersSent) res.writeHead(502).end();
    else res.destroy();
  });
  res.on('close', () => {
    if (!res.writableFinished) up.destroy();
  });
  req.pipe(up);
});
server.keepAliveTimeout = 30_000;
server.listen(port, '127.0.0.1', () => console.log(`tap listening on ${port} -> ${upstream.href}`));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(0));
