import http from 'node:http';
import { originSchema, type OriginConfig } from '../../src/config/schema.js';
import { createRegistry, type Registry } from '../../src/metrics/registry.js';
import { silentLogger } from '../../src/util/logger.js';
import { MemoryStore } from '../../src/origin/memory-store.js';
import { Origin } from '../../src/origin/origin.js';
import type { ObjectStore } from '../../src/origin/types.js';

/** Test helpers shared by the origin's *.test.ts files (not part of the public API). */

export const TOKEN = 'secret-token';
/** A fixed clock, so Last-Modified and updatedAt are predictable. */
export const NOW = Date.UTC(2024, 0, 2, 3, 4, 5, 678);

export interface Running {
  origin: Origin;
  store: ObjectStore;
  registry: Registry;
  base: string;
  port: number;
}

export async function startOrigin(
  overrides: Partial<OriginConfig> = {},
  store: ObjectStore = new MemoryStore({ maxBytes: 8 << 20, maxObjects: 1000 }),
): Promise<Running> {
  const config = originSchema.parse({ pushToken: TOKEN, ...overrides });
  const registry = createRegistry({ defaults: false });
  const origin = new Origin({ store, config, logger: silentLogger(), registry, now: () => NOW });
  const addr = await origin.listen(0, '127.0.0.1');
  return { origin, store, registry, base: `http://127.0.0.1:${addr.port}`, port: addr.port };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/**
 * A raw request: the path goes on the wire exactly as given (fetch would normalize "..", which is
 * what the traversal tests must not let happen), and no connection is reused.
 */
export function request(
  base: string,
  method: string,
  path: string,
  opts: { headers?: http.OutgoingHttpHeaders; body?: Buffer | string; chunked?: boolean } = {},
): Promise<Reply> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: url.hostname,
      port: url.port,
      method,
      path,
      headers: opts.headers,
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
      res.on('error', reject);
    });
    if (opts.chunked && opts.body !== undefined) {
      // Several writes without Content-Length: Node sends Transfer-Encoding: chunked.
      const buf = Buffer.from(opts.body);
      for (let i = 0; i < buf.length; i += 1000) req.write(buf.subarray(i, i + 1000));
      req.end();
    } else {
      req.end(opts.body);
    }
  });
}

/** A store wrapper that counts calls, to prove hostile requests never reach storage. */
export function countingStore(inner: ObjectStore): ObjectStore & { calls: number } {
  const wrapper = {
    calls: 0,
    put: (p: string, o: Parameters<ObjectStore['put']>[1]) => (wrapper.calls++, inner.put(p, o)),
    get: (p: string) => (wrapper.calls++, inner.get(p)),
    delete: (p: string) => (wrapper.calls++, inner.delete(p)),
    deletePrefix: (p: string) => (wrapper.calls++, inner.deletePrefix(p)),
    list: (p: string) => (wrapper.calls++, inner.list(p)),
    stats: () => inner.stats(),
    close: () => inner.close(),
  };
  return wrapper;
}

/** A port nothing listens on: bind one, then close it. */
export async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
