import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { adoptSharedReads, lendPipeReads } from './shared-reads.js';

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

describe('shared reads: a child process output pipe', () => {
  it("reads arrive through the callback, and the child's 'close' still comes at the pipe's end", async () => {
    // Writes 3 x 100 KB on fd 3 with pauses, so several reads arrive, some of them full.
    const script =
      "const fs = require('fs'); let i = 0; const t = setInterval(() => {" +
      'fs.writeSync(3, Buffer.alloc(100000, 97 + i)); if (++i === 3) { clearInterval(t); } }, 30);';
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'ignore', 'inherit', 'pipe'] });
    const counts = new Map<number, number>();
    let reads = 0;
    const lent = lendPipeReads(child.stdio[3] as net.Socket, (chunk) => {
      reads++;
      for (const b of chunk) counts.set(b, (counts.get(b) ?? 0) + 1);
    });
    assert.ok(lent !== undefined, 'this runtime supports lending the pipe');
    const [code] = (await once(child, 'close')) as [number];
    assert.equal(code, 0);
    assert.deepEqual([...counts.entries()].sort(), [
      [97, 100000],
      [98, 100000],
      [99, 100000],
    ]);
    assert.ok(reads >= 5, `64 KB reads: ${reads}`);
    assert.ok(lent.destroyed, 'the lent socket closed at the end of the pipe');
  });

  it('leaves a socket that has read already alone', async () => {
    const child = spawn(process.execPath, ['-e', "process.stdout.write('x')"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await once(child.stdout!, 'data');
    assert.equal(
      lendPipeReads(child.stdout as net.Socket, () => {}),
      undefined,
    );
    await once(child, 'close');
  });
});
