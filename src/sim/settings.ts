import type { CoreSettings } from '../cache/core.js';
import { cacheSchema, originSchema, packageSchema, shieldSchema } from '../config/schema.js';
import { playlistLifetimeS } from '../hls/lifetime.js';

/**
 * A cache node's core settings from the one configuration schema, mapped as CacheNode does
 * (src/cache/index.ts), so simulated nodes run with the defaults real ones start with.
 */
export function coreSettings(
  tier: 'edge' | 'shield',
  name: string,
  maxBytes?: number,
): CoreSettings & { upstreamSockets: number; upstreamQueue: number } {
  const c = tier === 'edge' ? cacheSchema.parse({ name }) : shieldSchema.parse({ name });
  return {
    upstreamSockets: c.upstreamSockets,
    upstreamQueue: c.upstreamQueue,
    name,
    holdTimeoutMs: c.holdTimeoutMs,
    maxAttempts: c.leaderAttempts,
    maxObjectBytes: c.maxObjectBytes,
    maxBytes: maxBytes ?? c.maxBytes,
    futureMaxAhead: c.futureMaxAhead,
    futureHoldFactor: c.futureHoldFactor,
    unknownPathIntervalMs: c.unknownPathIntervalMs,
    defaults: { staleIfErrorMs: c.staleIfErrorS * 1000, notFoundTtlMs: c.notFoundTtlMs },
  };
}

/** The packager's and origin's lifetimes for a plain (non-LL) stream with `segmentS` segments. */
export function streamDefaults(segmentS: number): {
  windowSegments: number;
  segmentLifetimeS: number;
  playlistMaxAgeS: number;
  notFoundMaxAgeS: number;
  immutableMaxAgeS: number;
} {
  const p = packageSchema.parse({});
  const o = originSchema.parse({});
  const td = Math.ceil(segmentS);
  return {
    windowSegments: p.windowSegments,
    // As the packager's rendition.ts #mediaLifetimeS.
    segmentLifetimeS: Math.ceil(Math.max(p.windowSegments, 3) * td + td + p.availabilityS),
    playlistMaxAgeS: playlistLifetimeS(td, p.playlistMaxAgeS),
    notFoundMaxAgeS: o.notFoundMaxAgeS,
    immutableMaxAgeS: o.immutableMaxAgeS,
  };
}
