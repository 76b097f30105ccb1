import { Counter, Gauge, type Registry } from 'prom-client';
import type { ByteShare } from '../util/byte-share.js';

/** What keeping bodies once across the tiers of one process saved, read at scrape time. */
export function registerShareMetrics(registry: Registry, share: ByteShare): void {
  new Counter({
    name: 'corral_shared_bodies_total',
    help: 'Bodies a cache tier completed and replaced by the equal copy another tier of this process holds',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(share.shared);
    },
  });
  new Counter({
    name: 'corral_shared_body_bytes_total',
    help: 'Bytes of those bodies: copies this process did not keep',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(share.sharedBytes);
    },
  });
  new Gauge({
    name: 'corral_shared_paths',
    help: 'Paths whose body is held once for every tier of this process',
    registers: [registry],
    collect() {
      this.set(share.paths);
    },
  });
}
