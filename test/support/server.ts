import { loadConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/cli/server.js';
import { silentLogger } from '../../src/util/logger.js';
import { createLogger } from '../../src/util/logger.js';

/** The all-in-one server on ephemeral loopback ports. CORRAL_TEST_LOG=debug shows its logs. */
export async function startTestServer(overrides: Record<string, string | number | boolean> = {}) {
  const config = loadConfig({
    overrides: {
      'rtmp.host': '127.0.0.1',
      'rtmp.port': 0,
      'rtmps.host': '127.0.0.1',
      'rtmps.port': 0,
      'origin.port': 0,
      'cache.port': 0,
      'shield.port': 0,
      // Transcoding costs a core per stream; only the ABR tests turn it on.
      'transcode.enabled': false,
      ...overrides,
    },
  });
  const log = process.env.CORRAL_TEST_LOG ? createLogger(process.env.CORRAL_TEST_LOG) : silentLogger();
  const server = await startServer(config, log);
  return {
    server,
    viewer: `http://127.0.0.1:${server.viewer.port}`,
    rtmp: `rtmp://127.0.0.1:${server.rtmp!.port}`,
    rtmps: `rtmps://127.0.0.1:${server.rtmps!.port}`,
  };
}

export type TestServer = Awaited<ReturnType<typeof startTestServer>> & { server: RunningServer };

export async function getText(url: string): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(url);
  return { status: r.status, text: await r.text(), headers: r.headers };
}

/** Poll until `fn` returns a value (bounded). */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 20_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
