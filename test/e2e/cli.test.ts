import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { run } from '../support/ffmpeg.js';
import { freePort } from '../support/net.js';

const BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));

describe('bin/corral', () => {
  it('--help lists the commands; unknown commands and flags fail with a clear message', async () => {
    const help = await run(process.execPath, [BIN, '--help'], 30_000);
    assert.equal(help.code, 0);
    for (const c of ['start', 'demo', 'edge', 'shield', 'origin', 'ingest'])
      assert.match(help.stdout, new RegExp(`\\n  ${c} `));
    const bad = await run(process.execPath, [BIN, 'start', '--no-such-flag', '1'], 30_000);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown flag --no-such-flag/);
    const badEnv = await run('env', ['CORRAL_RTMP__PORT=99999', process.execPath, BIN, 'start'], 30_000);
    assert.equal(badEnv.code, 2);
    assert.match(badEnv.stderr, /rtmp\.port/);
  });

  it('start serves the player and metrics, and stops cleanly on SIGTERM', async () => {
    const [rtmp, rtmps, http, origin, shield] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    const p = spawn(
      process.execPath,
      [
        BIN,
        'start',
        '--rtmp-port',
        String(rtmp),
        '--rtmps-port',
        String(rtmps),
        '--http-port',
        String(http),
        '--origin-port',
        String(origin),
        '--shield-port',
        String(shield),
        '--log-level',
        'warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('player:') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.match(out, new RegExp(`player: +http://127\\.0\\.0\\.1:${http}/`));
      const page = await fetch(`http://127.0.0.1:${http}/`);
      assert.equal(page.status, 200);
      assert.match(await page.text(), /hls\.min\.js/);
      const hlsjs = await fetch(`http://127.0.0.1:${http}/vendor/hls.min.js`);
      assert.equal(hlsjs.status, 200);
      assert.ok((await hlsjs.arrayBuffer()).byteLength > 100_000);
      const metrics = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
      assert.match(metrics, /^# HELP/m);
      const originMetrics = await (await fetch(`http://127.0.0.1:${origin}/metrics`)).text();
      assert.match(originMetrics, /corral_rtmp_connections/);
      p.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 10_000))]);
      assert.equal(code, 0, out);
    } finally {
      p.kill('SIGKILL');
    }
  });
});
