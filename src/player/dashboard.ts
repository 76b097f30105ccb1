import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What the dashboard reads of a tier: its Prometheus text (a prom-client Registry fits). */
export interface MetricsSource {
  metrics(): Promise<string>;
}

interface Asset {
  body: Buffer;
  type: string;
}

/**
 * The operator's page at /dashboard: serves the page, uPlot from its npm package, and the metrics
 * of the tiers this process runs (in `corral start` edge, shield and origin; in `corral edge` just
 * itself) under /dashboard/metrics/TIER, so one page sees every tier without cross-origin fetches.
 */
export class DashboardRoutes {
  readonly #assets = new Map<string, Asset>();
  readonly #tiers: Map<string, MetricsSource>;

  constructor(tiers: Array<{ name: string; source: MetricsSource }>) {
    this.#tiers = new Map(tiers.map((t) => [t.name, t.source]));
    const dir = fileURLToPath(new URL('./static/', import.meta.url));
    const js = 'text/javascript; charset=utf-8';
    this.#assets.set('/dashboard', {
      body: readFileSync(dir + 'dashboard.html'),
      type: 'text/html; charset=utf-8',
    });
    this.#assets.set('/dashboard.js', { body: readFileSync(dir + 'dashboard.js'), type: js });
    const require = createRequire(import.meta.url);
    this.#assets.set('/vendor/uplot.iife.min.js', {
      body: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js')),
      type: js,
    });
    this.#assets.set('/vendor/uplot.min.css', {
      body: readFileSync(require.resolve('uplot/dist/uPlot.min.css')),
      type: 'text/css; charset=utf-8',
    });
    this.#assets.set('/dashboard/tiers.json', {
      body: Buffer.from(JSON.stringify([...this.#tiers.keys()])),
      type: 'application/json',
    });
  }

  /** Returns true when the request was for the dashboard and has been answered. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const path = (req.url ?? '/').split('?', 1)[0]!;
    const asset = this.#assets.get(path);
    const tier = path.startsWith('/dashboard/metrics/')
      ? this.#tiers.get(decodeURIComponent(path.slice('/dashboard/metrics/'.length)))
      : undefined;
    if (!asset && !tier) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return true;
    }
    const head = req.method === 'HEAD';
    if (asset) {
      res.writeHead(200, {
        'content-type': asset.type,
        'content-length': asset.body.length,
        'cache-control': 'no-cache',
      });
      res.end(head ? undefined : asset.body);
      return true;
    }
    tier!.metrics().then(
      (text) => {
        const body = Buffer.from(text);
        res.writeHead(200, {
          'content-type': 'text/plain; version=0.0.4; charset=utf-8',
          'content-length': body.length,
          'cache-control': 'no-store',
        });
        res.end(head ? undefined : body);
      },
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics unavailable'),
    );
    return true;
  }
}
