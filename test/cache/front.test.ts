import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { bodyBytes, get, sleep, useOriginAndNode } from './helpers.js';

/** One raw connection: send bytes, read whole responses (Content-Length bodies) in order. */
class Raw {
  readonly socket: net.Socket;
  #buf = Buffer.alloc(0);
  #waiters: Array<() => void> = [];
  closed = false;

  constructor(port: number) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.#wake();
    });
    this.socket.on('error', () => {});
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  send(s: string): void {
    this.socket.write(s);
  }

  /** The next response: status, lower-case headers, body (by Content-Length; none for HEAD). */
  async response(
    head = false,
    timeoutMs = 10_000,
  ): Promise<{ status: number; headers: Record<string, string>; body: Buffer }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const end = this.#buf.indexOf('\r\n\r\n');
      if (end >= 0) {
        const lines = this.#buf.toString('latin1', 0, end).split('\r\n');
        const status = Number(lines[0]!.split(' ')[1]);
        const headers: Record<string, string> = {};
        for (const l of lines.slice(1)) {
          const i = l.indexOf(':');
          headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
        }
        if (!head && headers['transfer-encoding'] === 'chunked') {
          // Whole once the last chunk is in: decode the sizes and data that precede it.
          const last = this.#buf.indexOf('\r\n0\r\n\r\n', end);
          const first = this.#buf.indexOf('0\r\n\r\n', end + 4) === end + 4;
          if (last >= 0 || first) {
            const stop = first ? end + 4 : last + 2;
            const parts: Buffer[] = [];
            let at = end + 4;
            while (at < stop) {
              const nl = this.#buf.indexOf('\r\n', at);
              const n = parseInt(this.#buf.toString('latin1', at, nl), 16);
              parts.push(this.#buf.subarray(nl + 2, nl + 2 + n));
              at = nl + 2 + n + 2;
            }
            this.#buf = this.#buf.subarray(stop + 5);
            return { status, headers, body: Buffer.concat(parts) };
          }
        }
        const len =
          head || headers['transfer-encoding'] === 'chunked' ? 0 : Number(headers['content-length'] ?? 0);
        if (headers['transfer-encoding'] !== 'chunked' && this.#buf.length >= end + 4 + len) {
          const body = this.#buf.subarray(end + 4, end + 4 + len);
          this.#buf = this.#buf.subarray(end + 4 + len);
          return { status, headers, body };
        }
      }
      if (this.closed) throw new Error(`closed with ${this.#buf.length} unread bytes`);
      if (Date.now() > deadline) throw new Error('no response in time');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }

  async closedWithin(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (!this.closed && Date.now() < deadline) await sleep(50);
    return this.closed;
  }
}

const port = (url: string) => Number(new URL(url).port);

for (const sharedReads of [false, true]) {
  describe(`connection front (sharedReads ${sharedReads}): cached hits on the socket, everything else through node:http`, () => {
    const srv = useOriginAndNode({}, { sharedReads });

    it('a hit carries the same fields as the answer node:http gave, and the same bytes', async () => {
      const path = '/obj/front-a?cc=public,max-age=60&etag=f1&size=3000';
      const miss = await get(srv.edge.url + path);
      assert.equal(miss.headers['x-cache'], 'edge MISS');
      const c = new Raw(port(srv.edge.url));
      c.send(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      const hit = await c.response();
      assert.equal(hit.status, 200);
      assert.equal(hit.headers['x-cache'], 'edge HIT');
      assert.ok(hit.body.equals(bodyBytes(path, 3000)));
      for (const k of ['content-type', 'cache-control', 'etag', 'content-length', 'accept-ranges']) {
        assert.equal(hit.headers[k], miss.headers[k], k);
      }
      assert.ok(Math.abs(Date.parse(hit.headers.date!) - Date.now()) < 5_000, 'a current Date');
      assert.equal(hit.headers.connection, 'keep-alive');
      assert.ok(/^\d+$/.test(hit.headers.age!));
      // HEAD: the same head, no body; the connection carries on.
      c.send(`HEAD ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      const h = await c.response(true);
      assert.equal(h.headers['content-length'], '3000');
      assert.equal(h.headers['x-cache'], 'edge HIT');
      c.send(`GET ${path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);
      const last = await c.response();
      assert.equal(last.headers.connection, 'close');
      assert.ok(await c.closedWithin(2_000), 'closed after connection: close');
      assert.equal(await srv.origin.count(path), 1);
    });

    it('large and small hits, pipelined in one write, come back whole and in order', async () => {
      // A small body goes out joined to its head, a large one as the head and the entry's chunks.
      const big = '/obj/front-big?cc=public,max-age=60&size=100000';
      const small = '/obj/front-small?cc=public,max-age=60&size=900';
      await get(srv.edge.url + big);
      await get(srv.edge.url + small);
      const c = new Raw(port(srv.edge.url));
      const one = (p: string, m = 'GET') => `${m} ${p} HTTP/1.1\r\nhost: x\r\n\r\n`;
      c.send(one(big) + one(small) + one(big, 'HEAD') + one(big) + one(small, 'HEAD') + one(small));
      const a = await c.response();
      assert.ok(a.body.equals(bodyBytes(big, 100_000)));
      assert.ok((await c.response()).body.equals(bodyBytes(small, 900)));
      const h = await c.response(true);
      assert.equal(h.headers['content-length'], '100000');
      const b = await c.response();
      assert.equal(b.headers['x-cache'], 'edge HIT');
      assert.ok(b.body.equals(bodyBytes(big, 100_000)));
      assert.equal((await c.response(true)).headers['content-length'], '900');
      const s = await c.response();
      assert.equal(s.headers['x-cache'], 'edge HIT');
      assert.ok(s.body.equals(bodyBytes(small, 900)));
      c.socket.destroy();
      assert.equal(await srv.origin.count(big), 1);
    });

    it('a head that arrives a few bytes at a time is read once it is whole', async () => {
      const path = '/obj/front-g?cc=public,max-age=60&size=70';
      await get(srv.edge.url + path);
      const c = new Raw(port(srv.edge.url));
      c.socket.setNoDelay(true);
      const head = `GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`;
      for (let i = 0; i < head.length; i += 3) {
        c.send(head.slice(i, i + 3));
        await sleep(2);
      }
      const r = await c.response();
      assert.equal(r.headers['x-cache'], 'edge HIT');
      assert.ok(r.body.equals(bodyBytes(path, 70)));
      c.socket.destroy();
    });

    it('heads split across reads on many connections at once keep their bytes (reads share one buffer)', async () => {
      const hit = '/obj/front-h?cc=public,max-age=60&size=300';
      const slow = '/obj/front-i?cc=public,max-age=60&size=20&delay=200';
      await get(srv.edge.url + hit);
      const head = (p: string, i: number) =>
        `GET ${p} HTTP/1.1\r\nhost: x\r\nx-pad: ${'p'.repeat(i)}\r\n\r\n`;
      const conns = Array.from({ length: 20 }, () => new Raw(port(srv.edge.url)));
      // Per connection: a hit, a bridged miss, then a hit whose head arrives while the miss is out.
      const script = conns.map((_, i) => head(hit, i) + head(slow, i) + head(hit, i + 1));
      const cuts = [0.2, 0.45, 0.7, 0.85, 1];
      let from = script.map(() => 0);
      for (const cut of cuts) {
        // Every connection sends its next piece before any is read: reads from all of them interleave.
        conns.forEach((c, i) => {
          const to = Math.floor(script[i]!.length * cut);
          c.send(script[i]!.slice(from[i], to));
        });
        from = script.map((s) => Math.floor(s.length * cut));
        await sleep(30);
      }
      for (const c of conns) {
        const a = await c.response();
        const b = await c.response();
        const d = await c.response();
        assert.deepEqual(
          [a.status, b.status, d.status, a.body.length, b.body.length, d.body.length],
          [200, 200, 200, 300, 20, 300],
        );
        assert.ok(a.body.equals(bodyBytes(hit, 300)) && d.body.equals(bodyBytes(hit, 300)));
        c.socket.destroy();
      }
    });

    it('pipelined requests are answered in order when node:http answers the one in the middle', async () => {
      const hitPath = '/obj/front-b?cc=public,max-age=60&size=100';
      const slowPath = '/obj/front-c?cc=public,max-age=60&size=200&delay=300';
      await get(srv.edge.url + hitPath);
      const c = new Raw(port(srv.edge.url));
      c.send(
        `GET ${hitPath} HTTP/1.1\r\nhost: x\r\n\r\n` +
          `GET ${slowPath} HTTP/1.1\r\nhost: x\r\n\r\n` +
          `GET ${hitPath} HTTP/1.1\r\nhost: x\r\n\r\n` +
          `GET ${slowPath} HTTP/1.1\r\nhost: x\r\nrange: bytes=0-9\r\n\r\n`,
      );
      const a = await c.response();
      const b = await c.response();
      const d = await c.response();
      const e = await c.response();
      assert.deepEqual(
        [a, b, d, e].map((r) => [r.status, r.headers['x-cache'], r.body.length]),
        [
          [200, 'edge HIT', 100],
          [200, 'edge MISS', 200],
          [200, 'edge HIT', 100],
          [206, 'edge HIT', 10],
        ],
      );
      assert.ok(b.body.equals(bodyBytes(slowPath, 200)));
      c.socket.destroy();
    });

    it('a request that is not plain hands the connection to node:http, which answers it and the rest', async () => {
      const path = '/obj/front-d?cc=public,max-age=60&size=50';
      await get(srv.edge.url + path);
      const c = new Raw(port(srv.edge.url));
      c.send(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello`);
      assert.equal((await c.response()).status, 405);
      c.send(`GET ${path} HTTP/1.1\r\nhost: x\r\n\r\n`);
      const r = await c.response();
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(bodyBytes(path, 50)));
      c.socket.destroy();
      // A smuggling attempt (two lengths) is node:http's to refuse.
      const s = new Raw(port(srv.edge.url));
      s.send(
        `GET ${path} HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n`,
      );
      assert.equal((await s.response()).status, 400);
      assert.ok(await s.closedWithin(2_000));
      const g = new Raw(port(srv.edge.url));
      g.send('\x16\x03\x01garbage\r\n\r\n');
      assert.equal((await g.response()).status, 400);
    });

    it('an idle connection closes after the keep-alive time; a held request longer than that does not', async () => {
      const idle = new Raw(port(srv.edge.url));
      idle.send('GET /obj/front-e?cc=public,max-age=60&size=10 HTTP/1.1\r\nhost: x\r\n\r\n');
      await idle.response();
      const half = new Raw(port(srv.edge.url));
      half.send('GET /obj/front-e HTTP/1.1\r\nhost:'); // a head that never ends
      const held = new Raw(port(srv.edge.url));
      held.send('GET /obj/front-f?cc=public,max-age=60&size=10&delay=6500 HTTP/1.1\r\nhost: x\r\n\r\n');
      assert.ok(await idle.closedWithin(7_000), 'idle keep-alive connection closed');
      assert.ok(await half.closedWithin(1_000), 'unfinished head closed');
      const r = await held.response(false, 5_000);
      assert.equal(r.status, 200);
      assert.equal(held.closed, false);
      held.socket.destroy();
    });
  });
}
