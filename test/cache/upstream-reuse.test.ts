import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { Upstream } from '../../src/cache/upstream.js';

interface RawUpstream {
  port: number;
  connections: () => number;
  close: () => void;
}

/**
 * A raw TCP upstream on loopback: `onRequest(socket, n, requests)` is called for each complete
 * request head, with the connection's number (from 1) and the requests seen on it so far.
 */
function rawUpstream(
  onRequest: (socket: net.Socket, n: number, requests: number) => void,
): Promise<RawUpstream> {
  let connections = 0;
  const server = net.createServer((socket) => {
    const n = ++connections;
    let requests = 0;
    socket.on('data', (d) => {
      if (d.toString().includes('\r\n\r\n')) onRequest(socket, n, ++requests);
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        connections: () => connections,
        close: () => server.close(),
      }),
    ),
  );
}

/**
 * An upstream that answers the first request of a connection with keep-alive and then closes the
 * connection when a second request arrives on it, unanswered: what a keep-alive timeout racing
 * a reused socket looks like from the client.
 */
const closingUpstream = () =>
  rawUpstream((socket, _n, requests) => {
    if (requests > 1) return void socket.destroy();
    socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
  });

/** An upstream that closes the first `resets` connections unanswered and answers the rest. */
const resettingUpstream = (resets: number) =>
  rawUpstream((socket, n) => {
    if (n <= resets) return void socket.destroy();
    socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
  });

function fetchOnce(up: Upstream, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    up.get(
      'GET',
      path,
      {},
      (res: IncomingMessage) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
      reject,
    );
  });
}

describe('Upstream over keep-alive', () => {
  it('a fresh connection closed unanswered is retried once; a second close is the error', async () => {
    const once = await resettingUpstream(1);
    let retries = 0;
    const up = new Upstream(`http://127.0.0.1:${once.port}`, 5000, 4, { onRetry: () => retries++ });
    try {
      assert.equal(await fetchOnce(up, '/a'), 200);
      assert.equal(once.connections(), 2);
      assert.equal(retries, 1, 'the retry is reported (the upstream saw two requests for one fetch)');
    } finally {
      up.close();
      once.close();
    }
    const always = await resettingUpstream(1_000);
    const up2 = new Upstream(`http://127.0.0.1:${always.port}`, 5000, 4);
    try {
      await assert.rejects(fetchOnce(up2, '/a'), /socket hang up|ECONNRESET/);
      assert.equal(always.connections(), 2, 'one retry, not more');
    } finally {
      up2.close();
      always.close();
    }
  });

  it('a reused socket the upstream closed unanswered is retried once on a new connection', async () => {
    const server = await closingUpstream();
    const up = new Upstream(`http://127.0.0.1:${server.port}`, 5000, 4);
    try {
      assert.equal(await fetchOnce(up, '/a'), 200);
      // Let the socket go back to the pool, then reuse it: the upstream closes it unanswered.
      await new Promise((r) => setImmediate(r));
      assert.equal(await fetchOnce(up, '/b'), 200);
      assert.equal(server.connections(), 2, 'the retry went out on a fresh connection');
    } finally {
      up.close();
      server.close();
    }
  });
});
