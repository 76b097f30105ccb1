import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

export type BrowserPlayer = 'hlsjs' | 'shaka' | 'videojs';

/**
 * A test-only page server for the browser player matrix: one tiny page per player plus the
 * players' scripts read from their npm packages, so nothing is fetched from a third-party host and
 * src/player stays the product page. The pages fetch media cross-origin from corral (it sends CORS).
 */
export async function startPlayerHost(): Promise<{ url: string; close: () => Promise<void> }> {
  const require = createRequire(import.meta.url);
  const dir = fileURLToPath(new URL('./players/', import.meta.url));
  const js = 'text/javascript; charset=utf-8';
  const html = 'text/html; charset=utf-8';
  const files = new Map<string, { body: Buffer; type: string }>([
    ['/probe.js', { body: readFileSync(dir + 'probe.js'), type: js }],
    ['/vendor/hls.min.js', { body: readFileSync(require.resolve('hls.js/dist/hls.min.js')), type: js }],
    [
      '/vendor/shaka-player.compiled.js',
      { body: readFileSync(require.resolve('shaka-player/dist/shaka-player.compiled.js')), type: js },
    ],
    ['/vendor/video.min.js', { body: readFileSync(require.resolve('video.js/dist/video.min.js')), type: js }],
  ]);
  for (const p of ['hlsjs', 'shaka', 'videojs'] satisfies BrowserPlayer[]) {
    files.set(`/${p}.html`, { body: readFileSync(`${dir}${p}.html`), type: html });
  }
  const server: Server = createServer((req, res) => {
    const f = files.get((req.url ?? '/').split('?')[0]!);
    if (!f) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': f.type, 'content-length': f.body.length }).end(f.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
