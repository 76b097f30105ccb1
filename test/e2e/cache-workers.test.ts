/**
 * Multi-worker mode (`corral edge --workers 2`) as a real child process: single flight across
 * workers, a worker killed mid-flight, /metrics for all workers.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import {
  bodyBytes,
  get,
  sleep,
  startOrigin,
  wideAgent,
  type Got,
  type TestOrigin,
} from '../cache/helpers.js';

const BIN = fileURLToPath(new URL('../../bin/corral', import.meta.url));

interface LogLine {
  msg?: string;
  listen?: string;
  pid?: number;
  key?: string;
  asker?: number;
  owner?: number;
}

/** `corral edge --workers 2` with debug logs (the primary logs every lease it grants). */
class ClusterProc {
  readonly lines: LogLine[] = [];
  readonly #child: ChildProcess;
  #waiters: Array<() => void> = [];

  constructor(upstream: string) {
    this.#child = spawn(
      process.execPath,
      // The counting origin is driven by query parameters: keep them all in the key.
      [
        BIN,
        'edge',
        '--listen',
        '127.0.0.1:0',
        '--upstream',
        upstream,
        '--workers',
        '2',
        '--set',
        'cache.keyParams=["*"]',
      ],
      { env: { ...process.env, CORRAL_LOG_LEVEL: 'debug' }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    createInterface({ input: this.#child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as LogLine);
      } catch {
        return;
      }
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  /** The first log line matching `pred`, waiting for it if need be. */
  async line(pred: (l: LogLine) => boolean, ms = 30_000): Promise<LogLine> {
    const end = Date.now() + ms;
    for (;;) {
      const found = this.lines.find(pred);
      if (found !== undefined) return found;
      if (Date.now() > end) throw new Error('log line not seen');
      await new Promise<void>((r) => {
        this.#waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  async url(): Promise<string> {
    const l = await this.line((x) => x.msg === 'cache node listening');
    return `http://${l.listen}`;
  }

  workerPids(): number[] {
    return this.lines.filter((l) => l.msg === 'cache worker ready').map((l) => l.pid!);
  }

  leases(key: string): LogLine[] {
    return this.lines.filter((l) => l.msg === 'lease' && l.key === key);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#child.exitCode !== null) return resolve();
      this.#child.once('exit', () => resolve());
      this.#child.kill('SIGTERM');
    });
  }
}

async function many(url: string, n: number): Promise<PromiseSettledResult<Got>[]> {
  const agent = wideAgent(n);
  try {
    return await Promise.allSettled(Array.from({ length: n }, () => get(url, { agent })));
  } finally {
    agent.destroy();
  }
}

describe('multi-worker cache node (--workers 2)', () => {
  let origin: TestOrigin;
  let edge: ClusterProc;
  let base: string;
  before(async () => {
    origin = await startOrigin();
    edge = new ClusterProc(origin.url);
    base = await edge.url();
    await edge.line(() => edge.workerPids().length === 2);
  });
  after(async () => {
    await edge.stop();
    await origin.stop();
  });

  for (const n of [1, 100, 2000]) {
    it(`${n} concurrent requests for one new object make exactly 1 upstream fetch`, async () => {
      const size = n > 1000 ? 4000 : 100_000;
      const path = `/obj/w-${n}?cc=public,max-age=60&delay=400&size=${size}&dur=200`;
      const all = await many(base + path, n);
      const want = bodyBytes(path, size);
      for (const r of all) {
        assert.equal(r.status, 'fulfilled');
        if (r.status !== 'fulfilled') continue;
        assert.equal(r.value.status, 200);
        assert.ok(r.value.body.equals(want), 'body differs');
      }
      assert.equal(await origin.count(path), 1);
      if (n > 1) {
        // Both workers had viewers for it, and both were sent to the same owner.
        const leases = edge.leases(path);
        assert.equal(new Set(leases.map((l) => l.asker)).size, 2, 'both workers asked');
        assert.equal(new Set(leases.map((l) => l.owner)).size, 1, 'one owner');
      }
    });
  }

  it("the other worker's waiters are streamed the body as it arrives, not handed it at the end", async () => {
    const path = '/obj/w-stream?cc=public,max-age=60&delay=100&size=200000&dur=800';
    const all = await many(base + path, 20);
    for (const r of all) {
      assert.equal(r.status, 'fulfilled');
      if (r.status !== 'fulfilled') continue;
      assert.ok(
        r.value.firstByteAt < r.value.doneAt - 400,
        `first ${r.value.firstByteAt}, done ${r.value.doneAt}`,
      );
    }
    assert.equal(new Set(edge.leases(path).map((l) => l.asker)).size, 2, 'both workers asked');
    assert.equal(await origin.count(path), 1);
  });

  it('/metrics adds up every worker and counts viewers, not worker-to-worker fetches', async () => {
    const text = (await get(base + '/metrics')).body.toString();
    const sum = (re: RegExp) => [...text.matchAll(re)].reduce((acc, m) => acc + Number(m[1]), 0);
    assert.equal(sum(/^corral_cache_requests_total\{[^}]*\} (\d+)$/gm), 1 + 100 + 2000 + 20);
    assert.equal(sum(/^corral_cache_upstream_fetches_total\{[^}]*status="200"\} (\d+)$/gm), 4);
    assert.match(text, /corral_cache_request_duration_seconds_bucket/);
  });

  it('a worker killed mid-flight: requests are still answered, one more fetch after the lease moves', async () => {
    const path = '/obj/w-kill?cc=public,max-age=60&delay=1500&size=50000&dur=200';
    const want = bodyBytes(path, 50_000);
    const pending = many(base + path, 40);
    const first = await edge.line((l) => l.msg === 'lease' && l.key === path);
    await sleep(300);
    const victim = first.owner!;
    process.kill(victim, 'SIGKILL');
    const all = await pending;
    const ok = all.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    // The survivor's viewers are answered; the dead worker's own connections died with it.
    assert.ok(ok.length > 0, 'no request was answered');
    for (const r of ok) {
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(want), 'body differs');
    }
    // Viewers whose connection died come back and are served too.
    const retried = await many(base + path, all.length - ok.length);
    for (const r of retried) {
      assert.equal(r.status, 'fulfilled');
      if (r.status === 'fulfilled') assert.ok(r.value.body.equals(want));
    }
    // One fetch by the dead owner, exactly one by the new owner.
    assert.equal(await origin.count(path), 2);
    assert.ok(
      edge.leases(path).some((l) => l.owner !== victim),
      'the lease moved',
    );

    // The primary restarts the worker, and a new object is again fetched once.
    await edge.line(() => edge.workerPids().filter((p) => p !== victim).length >= 2);
    const next = '/obj/w-after-kill?cc=public,max-age=60&delay=300&size=20000';
    const again = await many(base + next, 200);
    for (const r of again) {
      assert.equal(r.status, 'fulfilled');
      if (r.status === 'fulfilled') assert.ok(r.value.body.equals(bodyBytes(next, 20_000)));
    }
    assert.equal(await origin.count(next), 1);
  });
});
