import { spawn, type ChildProcess } from 'node:child_process';
import http, { type IncomingHttpHeaders } from 'node:http';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CacheNode } from '../../src/cache/index.js';
import { cacheSchema, type CacheConfig } from '../../src/config/schema.js';
import { createRegistry } from '../../src/metrics/registry.js';
import { silentLogger } from '../../src/util/logger.js';

export { bodyBytes } from './bytes.js';

export interface TestOrigin {
  url: string;
  counts(): Promise<Record<string, number>>;
  count(path: string): Promise<number>;
  advance(stream: string): Promise<void>;
  rewind(stream: string): Promise<void>;
  restart(stream: string): Promise<void>;
  stop(): Promise<void>;
}

const ORIGIN = fileURLToPath(new URL('./origin.ts', import.meta.url));

/** Start the counting origin in its own process. */
export async function startOrigin(env: Record<string, string> = {}): Promise<TestOrigin> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', ORIGIN], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', (l) => resolve((JSON.parse(l) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`origin exited ${code}`)));
  });
  const url = `http://127.0.0.1:${port}`;
  const counts = async () => (await get(`${url}/__counts`)).json() as Record<string, number>;
  return {
    url,
    counts,
    count: async (path) => (await counts())[path] ?? 0,
    advance: async (stream) => void (await get(`${url}/__advance?stream=${stream}`)),
    rewind: async (stream) => void (await get(`${url}/__rewind?stream=${stream}`)),
    restart: async (stream) => void (await get(`${url}/__restart?stream=${stream}`)),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface TestNode {
  node: CacheNode;
  url: string;
  close(): Promise<void>;
}

export async function startNode(
  upstream: string,
  overrides: Partial<CacheConfig> = {},
  role: 'edge' | 'shield' = 'edge',
): Promise<TestNode> {
  // The counting origin is driven by query parameters (see origin.ts), so its URLs keep them all
  // unless a test is about the key.
  const config = cacheSchema.parse({ name: role, keyParams: ['*'], ...overrides });
  const node = new CacheNode({
    config,
    upstream,
    logger: silentLogger(),
    registry: createRegistry({ defaults: false }),
    role,
  });
  const addr = await node.listen(0, '127.0.0.1');
  return { node, url: `http://127.0.0.1:${addr.port}`, close: () => node.close() };
}

export interface OriginAndNode {
  origin: TestOrigin;
  edge: TestNode;
}

/**
 * The usual suite setup: registers before() starting a test origin (with `env`) and an edge in
 * front of it (with `overrides`), and after() closing both. The returned object is filled in by
 * before(), so read its fields inside the tests, not when the suite is declared.
 */
export function useOriginAndNode(
  env: Record<string, string> = {},
  overrides: Partial<CacheConfig> = {},
): OriginAndNode {
  const s = {} as OriginAndNode;
  before(async () => {
    s.origin = await startOrigin(env);
    s.edge = await startNode(s.origin.url, overrides);
  });
  after(async () => {
    await s.edge?.close();
    await s.origin?.stop();
  });
  return s;
}

export interface Got {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** ms since the request was sent: response headers, first body byte, end. */
  headersAt: number;
  firstByteAt: number;
  doneAt: number;
  json(): unknown;
}

export function get(
  url: string,
  opts: { agent?: http.Agent; headers?: http.OutgoingHttpHeaders; method?: string } = {},
): Promise<Got> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(url, { agent: opts.agent, headers: opts.headers, method: opts.method ?? 'GET' });
    req.on('error', reject);
    req.on('response', (res) => {
      const headersAt = performance.now() - t0;
      let firstByteAt = -1;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => {
        if (firstByteAt < 0) firstByteAt = performance.now() - t0;
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          headersAt,
          firstByteAt,
          doneAt: performance.now() - t0,
          json: () => JSON.parse(body.toString()) as unknown,
        });
      });
    });
    req.end();
  });
}

/** An agent that opens one socket per concurrent request (up to `n`). */
export function wideAgent(n: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: n, maxFreeSockets: n });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
