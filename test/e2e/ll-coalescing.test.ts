import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import http from 'node:http';
import { HttpPush } from '../../src/origin/index.js';
import type { PlaylistState } from '../../src/origin/types.js';
import { freePort } from '../support/net.js';
import { until } from '../support/server.js';

const BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));
const VIEWERS = 10_000;

function playlist(msn: number, part: number): { body: Buffer; live: PlaylistState } {
  const text = `#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-TARGETDURATION:1\n#EXT-X-MEDIA-SEQUENCE:${msn}\n# part ${part}\n`;
  return {
    body: Buffer.from(text),
    live: {
      lastMsn: msn - 1,
      partMsn: msn,
      lastPart: part,
      partCounts: {},
      targetDurationS: 1,
      partTargetS: 0.334,
      preloadHint: `part-${msn}-${part + 1}.m4s`,
      ended: false,
    },
  };
}

/** Sum of a Prometheus counter's samples whose labels match. */
async function metric(url: string, name: string, labels: RegExp = /.*/): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
    if (m && m[1] === name && labels.test(m[2] ?? '')) sum += Number(m[3]);
  }
  return sum;
}

/**
 * 10,000 viewers blocked on the next part at an edge: one request reaches the shield and one
 * the origin, and one event releases them all. Real processes (corral origin/shield/edge) on
 * loopback, so the test process holds only the viewers' sockets.
 */
describe('blocked LL-HLS requests coalesce through edge -> shield -> origin', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it(`${VIEWERS} viewers blocked on the next part -> 1 request per tier`, async () => {
    const [op, sp, ep] = await Promise.all([freePort(), freePort(), freePort()]);
    const token = 'coalesce-test-token';
    const run = (args: string[]) => {
      const c = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
      children.push(c);
      return c;
    };
    run(['origin', '--origin-port', String(op), '--push-token', token, '--log-level', 'warn']);
    run(['shield', '--listen', `127.0.0.1:${sp}`, '--upstream', `http://127.0.0.1:${op}`]);
    run(['edge', '--listen', `127.0.0.1:${ep}`, '--upstream', `http://127.0.0.1:${sp}`]);
    const origin = `http://127.0.0.1:${op}`;
    const shield = `http://127.0.0.1:${sp}`;
    const edge = `http://127.0.0.1:${ep}`;
    for (const u of [origin, shield, edge]) {
      await until(`${u} up`, async () =>
        (await fetch(`${u}/healthz`).catch(() => undefined))?.ok ? true : undefined,
      );
    }
    const push = new HttpPush({ baseUrl: origin, token });
    try {
      const path = 'live/x/src/index.m3u8';
      const v1 = playlist(20, 1);
      await push.put({
        path,
        kind: 'playlist',
        contentType: 'application/vnd.apple.mpegurl',
        maxAgeS: 0,
        ...v1,
      });

      const agent = new http.Agent({ keepAlive: false, maxSockets: VIEWERS });
      const target = `/${path}?_HLS_msn=20&_HLS_part=2`;
      let firstByteBeforePut = 0;
      let released = false;
      const bodies = new Map<string, number>();
      const all = Array.from(
        { length: VIEWERS },
        () =>
          new Promise<void>((resolve, reject) => {
            const req = http.get({ host: '127.0.0.1', port: ep, path: target, agent }, (res) => {
              if (!released) firstByteBeforePut++;
              const chunks: Buffer[] = [];
              res.on('data', (c: Buffer) => chunks.push(c));
              res.on('end', () => {
                const key = `${res.statusCode} ${Buffer.concat(chunks).toString()}`;
                bodies.set(key, (bodies.get(key) ?? 0) + 1);
                resolve();
              });
            });
            req.on('error', reject);
          }),
      );
      // Every viewer is parked at the edge before the part exists.
      await until(
        'viewers parked',
        async () => ((await metric(edge, 'corral_cache_waiters')) >= VIEWERS - 1 ? true : undefined),
        30_000,
      );
      assert.equal(
        await metric(origin, 'corral_origin_blocked_requests'),
        1,
        'one blocked request at the origin',
      );
      released = true;
      const v2 = playlist(20, 2);
      await push.put({
        path,
        kind: 'playlist',
        contentType: 'application/vnd.apple.mpegurl',
        maxAgeS: 0,
        ...v2,
      });
      await Promise.all(all);
      agent.destroy();

      assert.equal(firstByteBeforePut, 0, 'nobody was answered before the part existed');
      assert.deepEqual([...bodies.keys()], [`200 ${v2.body.toString()}`], 'all got the satisfying version');
      assert.equal([...bodies.values()][0], VIEWERS);
      assert.equal(await metric(origin, 'corral_origin_blocking_total', /result="satisfied"/), 1);
      assert.equal(
        await metric(edge, 'corral_cache_upstream_fetches_total'),
        1,
        'edge -> shield: one request',
      );
      assert.equal(
        await metric(shield, 'corral_cache_upstream_fetches_total'),
        1,
        'shield -> origin: one request',
      );
    } finally {
      push.close();
    }
  });
});
