import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { publish } from '../support/ffmpeg.js';
import { freePort } from '../support/net.js';
import { until } from '../support/server.js';

const BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));
const TOKEN = 'topology-test-token';

/** Every live process below `pid`, from /proc (zombies are gone already: they only await reaping). */
function descendants(pid: number): { pid: number; cmd: string }[] {
  const byParent = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (state === 'Z') continue;
      byParent.set(Number(ppid), [...(byParent.get(Number(ppid)) ?? []), Number(d)]);
    } catch {
      // exited while we looked
    }
  }
  const out: { pid: number; cmd: string }[] = [];
  const walk = (p: number) => {
    for (const c of byParent.get(p) ?? []) {
      out.push({ pid: c, cmd: cmdline(c) });
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function redirect(url: string): Promise<{ status: number; location: string; edge: string }> {
  const r = await fetch(url, { redirect: 'manual' });
  await r.body?.cancel();
  return {
    status: r.status,
    location: r.headers.get('location') ?? '',
    edge: r.headers.get('x-corral-edge') ?? '',
  };
}

describe('corral up on a two-region topology', () => {
  it('routes viewers by region (objects and a real broadcast), drops a dead edge within 3 s, restarts it, and leaves no process behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-topology-'));
    const [director, origin, shieldEu, eu1, eu2, shieldUs, us1, rtmp] = await Promise.all(
      Array.from({ length: 8 }, () => freePort()),
    );
    const file = join(dir, 'topology.yaml');
    writeFileSync(
      file,
      `defaults:
  logLevel: warn
origin: { name: origin, listen: 127.0.0.1:${origin} }
director: { name: director, listen: 127.0.0.1:${director}, defaultRegion: eu }
packager:
  name: packager
  rtmp: 127.0.0.1:${rtmp}
  set: { transcode.enabled: false, package.reconnectGraceS: 1 }
regions:
  - name: eu
    shields: [{ name: shield-eu, listen: 127.0.0.1:${shieldEu} }]
    edges:
      - { name: edge-eu-1, listen: 127.0.0.1:${eu1}, shield: shield-eu, maxBytes: 16777216 }
      - { name: edge-eu-2, listen: 127.0.0.1:${eu2}, shield: shield-eu }
  - name: us
    shields: [{ name: shield-us, listen: 127.0.0.1:${shieldUs} }]
    edges: [{ name: edge-us-1, listen: 127.0.0.1:${us1}, shield: shield-us }]
`,
    );
    const up = spawn(process.execPath, [BIN, 'up', '--topology', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CORRAL_ORIGIN__PUSH_TOKEN: TOKEN },
    });
    let out = '';
    up.stdout.on('data', (d: Buffer) => (out += d.toString()));
    up.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => up.on('exit', (code) => resolve(code)));
    const base = `http://127.0.0.1:${director}`;
    const seen = new Map<number, string>();
    try {
      await until(
        'all nodes listening',
        async () => (out.includes('all nodes are listening') ? true : undefined),
        90_000,
      );
      assert.match(out, new RegExp(`edge-eu-1 +edge +eu +http://127\\.0\\.0\\.1:${eu1}/`));

      // One object in the origin, pushed the way the packager would.
      const body = Buffer.alloc(4096, 7);
      const put = await fetch(`http://127.0.0.1:${origin}/live/topo/src/init.mp4`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}`, 'x-corral-kind': 'init', 'content-type': 'video/mp4' },
        body,
      });
      assert.ok(put.ok, `push answered ${put.status}`);

      await until('every edge healthy at the director', async () => {
        const edges = (await (await fetch(`${base}/edges`)).json()) as { healthy: boolean }[];
        return edges.length === 3 && edges.every((e) => e.healthy) ? true : undefined;
      });

      // ?region= picks the region; the object comes through that region's edge and shield.
      const us = await redirect(`${base}/live/topo/src/init.mp4?region=us`);
      assert.equal(us.status, 302);
      assert.equal(us.location, `http://127.0.0.1:${us1}/live/topo/src/init.mp4`);
      const got = await fetch(us.location);
      assert.equal(got.status, 200);
      assert.deepEqual(Buffer.from(await got.arrayBuffer()), body);

      // Loopback matches no range: the default region, spread over both of its edges.
      const eu = await Promise.all([1, 2, 3, 4].map(() => redirect(`${base}/live/topo/index.m3u8`)));
      assert.deepEqual(new Set(eu.map((r) => r.edge)), new Set(['edge-eu-1', 'edge-eu-2']));
      const page = await redirect(`${base}/?region=eu`);
      const html = await fetch(page.location);
      assert.match(await html.text(), /hls\.min\.js/);
      assert.equal((await redirect(`${base}/?region=mars`)).status, 400);

      // A real broadcast through the packager node (same made-up push token) to a viewer of us.
      const pub = await publish(`rtmp://127.0.0.1:${rtmp}/live/cam`, 4, { size: '320x240' });
      assert.equal(pub.code, 0, pub.stderr);
      const media = await until('ended playlist through the director', async () => {
        const r = await fetch(`${base}/live/cam/src/index.m3u8?region=us`);
        const text = r.ok ? await r.text() : '';
        return text.includes('#EXT-X-ENDLIST') ? { url: r.url, text } : undefined;
      });
      assert.ok(media.url.startsWith(`http://127.0.0.1:${us1}/`), media.url);
      const segment = /^(seg-\d+\.m4s)$/m.exec(media.text)?.[1];
      assert.ok(segment, media.text);
      assert.equal((await fetch(new URL(segment, media.url))).status, 200);

      for (const p of descendants(up.pid!)) seen.set(p.pid, p.cmd);
      const victim = [...seen].find(([, cmd]) => cmd.includes('--node edge-eu-1 '));
      assert.ok(victim, 'edge-eu-1 runs as a child of corral up');
      process.kill(victim[0], 'SIGKILL');
      const killedAt = Date.now();
      let inARow = 0;
      while (inARow < 5) {
        const r = await redirect(`${base}/live/topo/index.m3u8?region=eu`);
        inARow = r.edge === 'edge-eu-2' ? inARow + 1 : 0;
        if (inARow < 5) await new Promise((res) => setTimeout(res, 50));
        assert.ok(Date.now() - killedAt < 3_000, 'viewers still sent to the dead edge after 3 s');
      }
      await until('edge-eu-1 restarted', async () =>
        /edge-eu-1 exited \(SIGKILL\); restarting/.test(out) ? true : undefined,
      );
      await until(
        'edge-eu-1 back at the director',
        async () => {
          const edges = (await (await fetch(`${base}/edges`)).json()) as { name: string; healthy: boolean }[];
          return edges.find((e) => e.name === 'edge-eu-1')?.healthy === true ? true : undefined;
        },
        60_000,
      );

      for (const p of descendants(up.pid!)) seen.set(p.pid, p.cmd);
      up.kill('SIGTERM');
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 20_000))]);
      assert.equal(code, 0, out);
      await until(
        'children gone',
        async () => ([...seen.keys()].some(alive) ? undefined : true),
        5_000,
      ).catch(() => {});
      const left = [...seen].filter(([pid]) => alive(pid)).map(([pid, cmd]) => `${pid} ${cmd}`);
      assert.deepEqual(left, [], 'processes outlived corral up');
    } finally {
      up.kill('SIGKILL');
      for (const pid of seen.keys()) if (alive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
