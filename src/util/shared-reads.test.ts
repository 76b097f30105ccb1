import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { adoptSharedReads } from './shared-reads.js';

describe('shared reads: an accepted socket moved to the one read buffer', () => {
  it('reads arrive through the callback, writes and end work, and the server counts the socket', async () => {
    const chunks: string[] = [];
    let moved: net.Socket | undefined;
    const server = net.createServer({ pauseOnConnect: true }, (s) => {
      moved = adoptSharedReads(s, (chunk) => {
        // The chunk is only valid now: copy it as a caller must.
        chunks.push(chunk.toString('latin1'));
        moved!.write(`got ${chunk.length};`);
      });
      assert.ok(moved !== undefined, 'this runtime supports moving the handle');
      moved.on('end', () => moved!.end('bye'));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const c = net.connect(port, '127.0.0.1');
    let got = '';
    c.on('data', (d: Buffer) => (got += d.toString()));
    c.write('hello');
    await new Promise((r) => setTimeout(r, 100));
    c.write('world!');
    await new Promise((r) => setTimeout(r, 100));
    const count = await new Promise<number>((r) => server.getConnections((_e, n) => r(n)));
    assert.equal(count, 1, 'the moved socket is counted');
    c.end();
    await once(c, 'close');
    assert.deepEqual(chunks, ['hello', 'world!']);
    assert.equal(got, 'got 5;got 6;bye');
    // The server drains: close() completes once the moved socket closed.
    await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  });

  it('leaves a socket with no accepted handle alone', () => {
    const s = new net.Socket();
    assert.equal(
      adoptSharedReads(s, () => {}),
      undefined,
      'no handle yet',
    );
  });
});
