import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { bodyBytes, get, sleep, useOriginAndNode } from './helpers.js';

/** Send raw bytes, collect what comes back until the server closes or `ms` pass. */
function raw(url: string, bytes: string, ms = 1000): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve) => {
    const s = net.connect(Number(port), '127.0.0.1');
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    const done = () => resolve(out);
    s.on('close', done);
    s.on('error', done);
    setTimeout(() => s.destroy(), ms);
    s.write(bytes);
  });
}

describe('bad input', () => {
  const srv = useOriginAndNode();

  it('malformed requests get a plain 400', async () => {
    assert.match(await raw(srv.edge.url, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.match(
      await raw(srv.edge.url, 'GET /x HTTP/1.1\r\nHost: a\r\nbad header\r\n\r\n'),
      /^HTTP\/1\.1 400/,
    );
    assert.match(await raw(srv.edge.url, 'GET http://evil/x HTTP/1.1\r\nHost: a\r\n\r\n'), /^HTTP\/1\.1 400/);
  });

  it('absurd headers get 431 and the node keeps serving', async () => {
    const big = 'x'.repeat(64 * 1024);
    assert.match(
      await raw(srv.edge.url, `GET /x HTTP/1.1\r\nHost: a\r\nX-Big: ${big}\r\n\r\n`),
      /^HTTP\/1\.1 431/,
    );
    const r = await get(srv.edge.url + '/obj/after-big?cc=public,max-age=60');
    assert.equal(r.status, 200);
  });

  it('a slow reader holds a cursor, not a copy: memory stays flat across many of them', async () => {
    const size = 4 << 20;
    const path = `/obj/slow?cc=public,max-age=60&size=${size}`;
    await get(srv.edge.url + path);
    const before = process.memoryUsage();
    const { port } = new URL(srv.edge.url);
    const sockets = Array.from({ length: 40 }, () => {
      const s = net.connect(Number(port), '127.0.0.1');
      s.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
      s.pause(); // never read: the server's write() must report backpressure
      return s;
    });
    await sleep(500);
    const grown = process.memoryUsage().arrayBuffers - before.arrayBuffers;
    // 40 copies would be 160 MiB; with shared buffers only socket buffers grow.
    assert.ok(grown < 40 << 20, `grew ${grown >> 20} MiB`);
    const r = await get(srv.edge.url + path);
    assert.ok(r.body.equals(bodyBytes(path, size)));
    for (const s of sockets) s.destroy();
  });

  it('a client vanishing mid-body does not disturb the fetch or the others', async () => {
    const path = '/obj/vanish?cc=public,max-age=60&size=300000&dur=300&delay=50';
    const { port } = new URL(srv.edge.url);
    const quitter = net.connect(Number(port), '127.0.0.1');
    quitter.write(`GET ${path} HTTP/1.1\r\nHost: a\r\n\r\n`);
    quitter.once('data', () => quitter.destroy());
    const other = await get(srv.edge.url + path);
    assert.ok(other.body.equals(bodyBytes(path, 300000)));
    assert.equal((await get(srv.edge.url + path)).headers['x-cache'], 'edge HIT');
    assert.equal(await srv.origin.count(path), 1);
  });

  it('control characters and over-long targets are refused', async () => {
    assert.match(
      await raw(srv.edge.url, `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: a\r\n\r\n`),
      /^HTTP\/1\.1 400/,
    );
    const r = await get(srv.edge.url + '/obj/ok', { method: 'DELETE' });
    assert.equal(r.status, 405);
  });
});
