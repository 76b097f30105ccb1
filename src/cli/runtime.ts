import v8 from 'node:v8';
import type { Config } from '../config/schema.js';

/**
 * Process-wide settings a server command applies once its configuration is known. V8 reads the
 * heap growth at every full GC, so setting it after start-up takes effect from the next one.
 */
export function applyRuntime(config: Pick<Config, 'heapGrowthPercent'>): void {
  v8.setFlagsFromString(`--heap-growing-percent=${config.heapGrowthPercent}`);
}
