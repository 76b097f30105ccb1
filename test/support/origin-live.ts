import { after, before } from 'node:test';
import type { Registry } from '../../src/metrics/registry.js';
import { HttpPush } from '../../src/origin/http-push.js';
import { withLazyBody } from '../../src/origin/lazy-body.js';
import { request, startOrigin, TOKEN, type Reply, type Running } from './origin.js';
import type { OriginPush, PlaylistState, PushObject } from '../../src/origin/types.js';

/** Helpers for the LL-HLS origin tests (not part of the public API). */

export const PLAYLIST = 'live/demo/v0/index.m3u8';

/**
 * `obj` as the in-process packager pushes a playlist: its body and delta written on first read.
 * `writes` counts how often they were.
 */
export function lazyCopy(obj: PushObject, writes = { n: 0 }): PushObject {
  const { body, delta, ...fields } = obj;
  const written = () => {
    writes.n++;
    return delta === undefined ? { body } : { body, delta };
  };
  return withLazyBody(fields, written, 2 * (body.length + (delta?.length ?? 0)), delta !== undefined);
}

/** Every push transport, so every LL-HLS rule is proven over each. */
export const TRANSPORTS: Array<[string, (r: Running) => { push: OriginPush; close(): void }]> = [
  ['in-process', (r) => ({ push: r.origin.push, close: () => undefined })],
  [
    'in-process, playlists written on first read',
    (r) => ({
      push: {
        put: (obj) => r.origin.push.put(obj.kind === 'playlist' ? lazyCopy(obj) : obj),
        remove: (path) => r.origin.push.remove(path),
      },
      close: () => undefined,
    }),
  ],
  [
    'HTTP PUT',
    (r) => {
      const push = new HttpPush({ baseUrl: r.base, token: TOKEN, timeoutMs: 2000, retries: 0 });
      return { push, close: () => push.close() };
    },
  ],
];

/**
 * One origin and one push transport for a describe block: started in before(), handed to `use`,
 * closed in after().
 */
export function originPerSuite(
  connect: (r: Running) => { push: OriginPush; close(): void },
  use: (running: Running, push: OriginPush) => void,
): void {
  let running: Running | undefined;
  let close = () => undefined as void;
  before(async () => {
    running = await startOrigin({ immutableMaxAgeS: 3600, notFoundMaxAgeS: 1 });
    const t = connect(running);
    close = () => t.close();
    use(running, t.push);
  });
  after(async () => {
    close();
    await running?.origin.close();
  });
}

/**
 * A live playlist version. The body names its state, so a test can tell which version answered;
 * the delta (when asked for) says it is one.
 */
export function playlist(
  state: Partial<PlaylistState>,
  opts: { delta?: boolean; path?: string; maxAgeS?: number } = {},
): PushObject {
  const live: PlaylistState = {
    lastMsn: 5,
    partMsn: 6,
    lastPart: 0,
    partCounts: { 4: 3, 5: 3 },
    targetDurationS: 2,
    partTargetS: 0.5,
    preloadHint: 'part-6-1.m4s',
    ended: false,
    ...state,
  };
  const tag = `msn=${live.lastMsn} part=${live.partMsn}.${live.lastPart}${live.ended ? ' ended' : ''}`;
  return {
    path: opts.path ?? PLAYLIST,
    kind: 'playlist',
    contentType: 'application/vnd.apple.mpegurl',
    body: Buffer.from(`#EXTM3U\n# full ${tag}\n`),
    maxAgeS: opts.maxAgeS ?? 1,
    live,
    ...(opts.delta
      ? { delta: Buffer.from(`#EXTM3U\n#EXT-X-SKIP:SKIPPED-SEGMENTS=3\n# delta ${tag}\n`) }
      : {}),
  };
}

export function part(path: string, body = `part ${path}`): PushObject {
  return { path, kind: 'part', contentType: 'video/mp4', body: Buffer.from(body) };
}

/** A request whose settlement can be checked without awaiting it. */
export function pending(base: string, path: string, method = 'GET') {
  const started = Date.now();
  let reply: Reply | undefined;
  const promise = request(base, method, path).then((r) => {
    reply = r;
    return { ...r, ms: Date.now() - started };
  });
  return {
    promise,
    get settled() {
      return reply !== undefined;
    },
  };
}

export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const hit = values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want));
  return hit?.value ?? 0;
}

/** Wait (test-side only) until the origin holds `n` requests. */
export async function waitHeld(registry: Registry, n: number, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const held = await metricValue(registry, 'corral_origin_blocked_requests');
    if (held === n) return;
    if (Date.now() > until) throw new Error(`expected ${n} held requests, have ${held}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
