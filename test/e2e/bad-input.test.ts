import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import http from 'node:http';
import { startTestServer, until, type TestServer } from '../support/server.js';
import { FFMPEG, publish, testPatternArgs } from '../support/ffmpeg.js';
import { parseMediaPlaylist } from '../support/hls.js';

/** Send raw bytes, resolve when the server closes the connection (bounded). */
function sendAndWaitClose(port: number, bytes: Buffer, timeoutMs = 15_000): Promise<'closed'> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(bytes));
    s.on('data', () => {});
    s.on('error', () => {});
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error('server kept a garbage connection open'));
    }, timeoutMs);
    s.on('close', () => {
      clearTimeout(timer);
      resolve('closed');
    });
  });
}

function rawGet(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Hostile input from anyone gets a clear refusal while a live stream carries on undisturbed. */
describe('bad input against the all-in-one server', () => {
  let t: TestServer;
  let live: ChildProcess;
  before(async () => {
    t = await startTestServer({ 'ingest.handshakeTimeoutMs': 2000 });
    live = spawn(FFMPEG, testPatternArgs(`${t.rtmp}/live/steady`, { seconds: 60 }), { stdio: 'ignore' });
    await until('steady stream', async () => {
      const r = await fetch(`${t.viewer}/live/steady/src/index.m3u8`);
      return r.ok ? true : undefined;
    });
  });
  after(async () => {
    live.kill('SIGKILL');
    await t.server.close();
  });

  async function newestSequence(): Promise<number> {
    const p = parseMediaPlaylist(await (await fetch(`${t.viewer}/live/steady/src/index.m3u8`)).text());
    return p.segments[p.segments.length - 1]!.sequence;
  }

  it('garbage, a bad RTMP version and a truncated handshake are closed', async () => {
    const rtmpPort = t.server.rtmp!.port;
    await sendAndWaitClose(rtmpPort, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    await sendAndWaitClose(rtmpPort, Buffer.alloc(1537, 0xff));
    // C0 + half of C1, then silence: the handshake timeout closes it.
    await sendAndWaitClose(rtmpPort, Buffer.concat([Buffer.from([3]), Buffer.alloc(700)]));
  });

  it('a TLS handshake failure on the RTMPS port is closed', async () => {
    await sendAndWaitClose(t.server.rtmps!.port, Buffer.alloc(2000, 0x16));
  });

  it('a second publisher on a live name is refused', async () => {
    const r = await publish(`${t.rtmp}/live/steady`, 3);
    assert.notEqual(r.code, 0, 'second publisher must fail');
  });

  it('traversal and malformed playback URLs get 4xx on the viewer port', async () => {
    const port = t.server.viewer.port;
    for (const path of [
      '/live/../../etc/passwd',
      '/live/%2e%2e/%2e%2e/etc/passwd',
      '/live/steady/..%2f..%2fx',
      '/live/%zz/index.m3u8',
      '/live/steady/' + 'a'.repeat(5000),
    ]) {
      const status = await rawGet(port, path);
      assert.ok(status >= 400 && status < 500, `${path.slice(0, 40)} -> ${status}`);
    }
    const missing = await fetch(`${t.viewer}/live/nobody/index.m3u8`);
    assert.equal(missing.status, 404);
    const maxAge = Number(/max-age=(\d+)/.exec(missing.headers.get('cache-control') ?? '')?.[1] ?? 0);
    assert.ok(maxAge <= 1, `404 cached for ${maxAge}s`);
  });

  it('the live stream kept going through all of it', async () => {
    const before = await newestSequence();
    const after = await until(
      'new segments',
      async () => {
        const n = await newestSequence();
        return n >= before + 2 ? n : undefined;
      },
      10_000,
    );
    assert.ok(after >= before + 2);
  });
});
