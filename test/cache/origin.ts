/**
 * A configurable test origin, run as a child process so the cache under test shares no event loop
 * with it. It prints {"port":N} on stdout and counts every request by its full URL.
 *
 * Behaviour comes from the query string (so each test picks unique, self-describing URLs):
 *   delay=MS      wait before the response headers (first byte)
 *   size=N dur=MS body of N bytes streamed evenly over MS (default 1024 bytes at once)
 *   status=N cc=.. etag=.. vary=.. cookie=1 cors=1   response status and headers
 *   stall=K       the first K requests for this URL never answer (a stuck upstream)
 *   fail=K        the first K requests answer normally, later ones get 500 (for stale-if-error)
 *   lie=N         declare N more bytes in Content-Length than are sent, then close
 *   cut=N         send N bytes of the declared body, then reset the socket
 *   garbage=1     answer with bytes that are not HTTP
 * Live streams: /live/NAME/index.m3u8 lists segments /live/NAME/seg-N.m4s; a segment beyond the
 * newest is 404 (public, max-age=1, like corral's origin). GET /__advance?stream=NAME adds one.
 * /__rewind?stream=NAME moves it back two (a lagging replica); /__restart?stream=NAME starts its
 * numbering over (a new broadcast under a reused name). Control: /__counts, /__reset.
 */
import http from 'node:http';
import { bodyBytes } from './bytes.js';

const counts = new Map<string, number>();
const live = new Map<string, number>(); // stream -> newest sequence number
const TARGET = Number(process.env.ORIGIN_TARGET_S ?? '1');

function playlist(name: string, newest: number): string {
  const first = Math.max(0, newest - 5);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:7',
    `#EXT-X-TARGETDURATION:${TARGET}`,
    `#EXT-X-MEDIA-SEQUENCE:${first}`,
  ];
  for (let n = first; n <= newest; n++) lines.push(`#EXTINF:${TARGET.toFixed(3)},`, `seg-${n}.m4s`);
  return lines.join('\n') + '\n';
}

function handleLive(url: URL, res: http.ServerResponse): void {
  const m = /^\/live\/([^/]+)\/(index\.m3u8|seg-(\d+)\.m4s)$/.exec(url.pathname);
  if (m === null) return void res.writeHead(404).end();
  const name = m[1]!;
  const newest = live.get(name) ?? 3;
  live.set(name, newest);
  const cors = { 'access-control-allow-origin': '*' };
  if (m[3] === undefined) {
    const maxAge = Number(process.env.ORIGIN_PLAYLIST_MAX_AGE ?? Math.floor(TARGET / 2));
    res.writeHead(200, {
      ...cors,
      'content-type': 'application/vnd.apple.mpegurl',
      'cache-control': `public, max-age=${maxAge}`,
    });
    return void res.end(playlist(name, newest));
  }
  const n = Number(m[3]);
  if (n > newest) {
    res.writeHead(404, { ...cors, 'cache-control': 'public, max-age=1', 'content-type': 'text/plain' });
    return void res.end('no such segment\n');
  }
  res.writeHead(200, {
    ...cors,
    'content-type': 'video/mp4',
    'cache-control': 'public, max-age=86400, immutable',
  });
  res.end(bodyBytes(url.pathname, 2000));
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/__counts') {
    res.writeHead(200, { 'content-type': 'application/json' });
    return void res.end(JSON.stringify(Object.fromEntries(counts)));
  }
  if (url.pathname === '/__reset') {
    counts.clear();
    live.clear();
    return void res.end('ok');
  }
  if (url.pathname === '/__rewind') {
    // A lagging replica: the playlist goes back two segments.
    const s = url.searchParams.get('stream') ?? '';
    live.set(s, (live.get(s) ?? 3) - 2);
    return void res.end(String(live.get(s)));
  }
  if (url.pathname === '/__restart') {
    const s = url.searchParams.get('stream') ?? '';
    live.set(s, 1);
    return void res.end('1');
  }
  if (url.pathname === '/__advance') {
    const s = url.searchParams.get('stream') ?? '';
    live.set(s, (live.get(s) ?? 3) + 1);
    return void res.end(String(live.get(s)));
  }
  const seen = (counts.get(req.url ?? '') ?? 0) + 1;
  counts.set(req.url ?? '', seen);
  if (url.pathname.startsWith('/live/')) return handleLive(url, res);
  const q = (k: string) => url.searchParams.get(k);
  const num = (k: string, d: number) => Number(q(k) ?? d);
  if (seen <= num('stall', 0)) return; // never answers; the socket stays open
  if (q('garbage') !== null) return void req.socket.end('SPDY?? not http at all\r\n\r\n');
  const size = num('size', 1024);
  const body = bodyBytes(url.pathname + url.search, size);
  const failing = q('fail') !== null && seen > num('fail', 0);
  const headers: http.OutgoingHttpHeaders = {
    'content-type': 'application/octet-stream',
    'content-length': String(size + num('lie', 0)),
  };
  if (q('cc') !== null) headers['cache-control'] = q('cc')!;
  if (q('etag') !== null) headers.etag = `"${q('etag')}"`;
  if (q('vary') !== null) headers.vary = q('vary')!;
  if (q('cookie') !== null) headers['set-cookie'] = 'session=abc';
  if (q('cors') !== null) headers['access-control-allow-origin'] = '*';
  headers['x-origin-count'] = String(seen);
  setTimeout(
    () => {
      if (failing) {
        res.writeHead(500, { 'content-type': 'text/plain', 'content-length': '5' });
        return void res.end('boom\n');
      }
      const status = num('status', 200);
      if (status === 304 || (q('etag') !== null && req.headers['if-none-match'] === headers.etag)) {
        res.writeHead(304, { etag: headers.etag, 'cache-control': headers['cache-control'] ?? '' });
        return void res.end();
      }
      res.writeHead(status, headers);
      const cut = q('cut') === null ? -1 : num('cut', 0);
      const sendable = cut >= 0 ? body.subarray(0, cut) : body;
      const dur = num('dur', 0);
      const pieces = dur > 0 ? Math.max(1, Math.round(dur / 10)) : 1;
      const step = Math.ceil(sendable.length / pieces);
      let i = 0;
      const tick = () => {
        if (i * step < sendable.length) res.write(sendable.subarray(i * step, ++i * step));
        if (i * step < sendable.length) return void setTimeout(tick, dur / pieces);
        if (cut >= 0 || num('lie', 0) > 0) return void setTimeout(() => req.socket.destroy(), 20);
        res.end();
      };
      tick();
    },
    num('delay', 0),
  );
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
