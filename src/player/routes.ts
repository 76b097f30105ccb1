import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

interface Asset {
  body: Buffer;
  type: string;
}

/**
 * The viewer page and its scripts, served from memory on the viewer port ahead of the cache
 * tier. hls.js comes from its npm package, so no third-party host is ever contacted.
 */
export class PlayerRoutes {
  readonly #assets = new Map<string, Asset>();

  constructor() {
    const dir = fileURLToPath(new URL('./static/', import.meta.url));
    const page = { body: readFileSync(dir + 'index.html'), type: 'text/html; charset=utf-8' };
    this.#assets.set('/', page);
    this.#assets.set('/index.html', page);
    this.#assets.set('/player.js', {
      body: readFileSync(dir + 'player.js'),
      type: 'text/javascript; charset=utf-8',
    });
    const require = createRequire(import.meta.url);
    this.#assets.set('/vendor/hls.min.js', {
      body: readFileSync(require.resolve('hls.js/dist/hls.min.js')),
      type: 'text/javascript; charset=utf-8',
    });
  }

  /** Returns true when the request was for a player asset and has been answered. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '/').split('?')[0]!;
    const asset = this.#assets.get(path);
    if (!asset) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    res.writeHead(200, {
      'content-type': asset.type,
      'content-length': asset.body.length,
      'cache-control': 'public, max-age=60',
    });
    res.end(req.method === 'HEAD' ? undefined : asset.body);
    return true;
  }
}
