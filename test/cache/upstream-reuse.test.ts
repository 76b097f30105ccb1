import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { describe, it } from 'node:test';
import { Upstream } from '../../src/cache/upstream.js';

/**
 * An upstream that answers the first request of a connection with keep-alive and then closes the
 * connection when a second request arrives on it, unanswered: what a keep-alive timeout racing
 * a reused socket looks like from the client.
 */
function closingUpstream(): Promise<{ port: number; connections: () => number; close: () => void }> {
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    let requests = 0;
    socket.on('data', (d) => {
      if (!d.toString().includes('\r\n\r\n')) return;
      if (++requests > 1) return void socket.destroy();
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok');
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
