import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import { WirePool } from './wire.js';

/** A real node:http server on loopback; every handler is the test's. */
async function httpServer(handler: http.RequestListener): Promise<{ port: number; server: http.Server }> {
  const server = http.createServer({ keepAliveTimeout: 5_000 }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, server };
}

/** A raw TCP server: `onRequest` gets each socket and the bytes of each request head. */
async function rawServer(onRequest: (s: net.Socket, head: string, n: number) => void): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    let buf = '';
    let n = 0;
    s.on('data', (d) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        onRequest(s, head, n++);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

function pool(port: number, sockets = 4, idleMs?: number): WirePool {
  const p = new WirePool({ host: '127.0.0.1', port }, sockets, idleMs);
  after(() => p.destroy());
  return p;
}

describe('wire client (the load generator HTTP/1.1 pool)', () => {
  it('reads Content-Length and chunked bodies, keeps text only when asked, and reuses one socket', async () => {
    const { port } = await httpServer((req, res) => {
      if (req.url === '/len') {
        res.writeHead(200, { 'content-length': '5', 'x-cache': 'edge HIT' });
        return res.end('hello');
      }
      // No length: node:http answers HTTP/1.1 with chunked encoding, in several writes.
      res.writeHead(200, { 'content-type': 'application/vnd.apple.mpegurl' });
      res.write('#EXTM3U\n');
      setTimeout(() => {
        res.write('é'.repeat(3000));
        res.end('\n#END\n');
      }, 20);
    });
    const p = pool(port);
    const a = await p.get('/len', true);
    assert.equal(a.status, 200);
    assert.equal(a.text, 'hello');
    assert.equal(a.xCache, 'edge HIT');
    assert.equal(a.bytes, 5);
    const b = await p.get('/chunked', true);
    assert.equal(b.error, undefined);
    assert.equal(b.text, `#EXTM3U\n${'é'.repeat(3000)}\n#END\n`);
    assert.equal(b.bytes, Buffer.byteLength(b.text!));
    const c = await p.get('/len', false);
    assert.equal(c.text, undefined);
    assert.equal(c.bytes, 5);
    assert.equal(p.sockets, 1, 'sequential requests share one keep-alive socket');
  });

  it('queues past its socket cap and answers every request', async () => {
    let open = 0;
    let peak = 0;
    const { port, server } = await httpServer((_req, res) => {
      setTimeout(() => res.end('x'.repeat(1000)), 10);
    });
    server.on('connection', (s: net.Socket) => {
      peak = Math.max(peak, ++open);
      s.on('close', () => open--);
    });
    const p = pool(port, 2);
    const rs = await Promise.all(Array.from({ length: 12 }, (_, i) => p.get(`/o${i}`, false)));
    assert.deepEqual(
      rs.map((r) => [r.status, r.bytes]),
      rs.map(() => [200, 1000]),
    );
    assert.ok(peak <= 2, `at most 2 connections, saw ${peak}`);
    assert.ok(
      rs.some((r) => r.queueMs > 5),
      'later requests waited for a socket',
    );
  });

  it('sends a request again on a fresh socket when the server closed the idle one under it', async () => {
    // The server answers one request per connection and then closes without saying so, as a
    // keep-alive timeout racing the next request looks from the client.
    const port = await rawServer((s, head) => {
      const path = head.split(' ')[1]!;
      s.end(`HTTP/1.1 200 OK\r\ncontent-length: ${path.length}\r\n\r\n${path}`);
    });
    const p = pool(port, 1);
    assert.equal((await p.get('/first', true)).text, '/first');
    await new Promise((r) => setTimeout(r, 20)); // the close arrives while the socket is idle
    assert.equal((await p.get('/second', true)).text, '/second');
    // Now a close that arrives only after the request went out on the reused socket.
    const port2 = await rawServer((s, head, n) => {
      if (n === 0) return void s.write(`HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok`);
      s.destroy(); // the second request on this socket meets a close with no answer
    });
    const q = pool(port2, 1);
    assert.equal((await q.get('/a', true)).text, 'ok');
    const again = await q.get('/b', true);
    assert.equal(again.error, undefined, 'retried once on a fresh socket');
    assert.equal(again.text, 'ok');
  });

  it('reads a body delimited by the close', async () => {
    const port = await rawServer((s) => {
      s.write('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\npart one, ');
      setTimeout(() => s.end('part two'), 10);
    });
    const r = await pool(port).get('/x', true);
    assert.equal(r.status, 200);
    assert.equal(r.text, 'part one, part two');
  });

  it('fails a malformed response, a refused connection and a silent server with a code', async () => {
    const garbage = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: banana\r\n\r\n'));
    assert.equal((await pool(garbage).get('/', false)).error, 'EBADRESPONSE');
    const extra = await rawServer((s) => s.write('HTTP/1.1 200 OK\r\ncontent-length: 1\r\n\r\nab'));
    assert.equal((await pool(extra).get('/', false)).error, 'EBADRESPONSE');
    const badChunk = await rawServer((s) =>
      s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n'),
    );
    assert.equal((await pool(badChunk).get('/', false)).error, 'EBADRESPONSE');
    const silent = await rawServer(() => {});
    const t0 = performance.now();
    const timedOut = await pool(silent, 1, 200).get('/', false);
    assert.equal(timedOut.error, 'ETIMEDOUT');
    assert.equal(timedOut.status, 0);
    assert.ok(performance.now() - t0 < 2_000);
    // A port nobody listens on: take one from the kernel and close it again.
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    assert.equal((await pool(closedPort).get('/', false)).error, 'ECONNREFUSED');
  });

  it('passes error statuses through as statuses, not transport errors', async () => {
    const { port } = await httpServer((_req, res) => {
      res.writeHead(502, { 'content-length': '3' });
      res.end('bad');
    });
    const r = await pool(port).get('/', false);
    assert.equal(r.status, 502);
    assert.equal(r.error, undefined);
    assert.equal(r.bytes, 3);
  });
});
