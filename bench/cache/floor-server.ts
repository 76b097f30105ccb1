/**
 * The floor for "waiter lag": a bare node:http server with no cache, no upstream and no streaming.
 * GET /hold?n=N&size=B parks requests until N have arrived, then answers all of them in one loop
 * with the same prebuilt Buffer (one res.end() each). Prints {"port":N}.
 */
import http from 'node:http';

const parked = new Map<string, http.ServerResponse[]>();
const bodies = new Map<number, Buffer>();

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname !== '/hold') return void res.end('ok');
  const n = Number(url.searchParams.get('n'));
  const size = Number(url.searchParams.get('size'));
  const list = parked.get(req.url!) ?? [];
  parked.set(req.url!, list);
  list.push(res);
  if (list.length < n) return;
  parked.delete(req.url!);
  let body = bodies.get(size);
  if (body === undefined) bodies.set(size, (body = Buffer.alloc(size, 7)));
  for (const r of list) {
    r.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
    r.end(body);
  }
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  process.stdout.write(JSON.stringify({ port: (server.address() as { port: number }).port }) + '\n');
});
process.on('SIGTERM', () => process.exit(0));
