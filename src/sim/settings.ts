import { coreSettingsOf, type CoreSettings } from '../cache/core.js';
import { cacheSchema, originSchema, packageSchema, shieldSchema } from '../config/schema.js';
import { mediaLifetimeS, playlistLifetimeS } from '../hls/lifetime.js';

/**
 * A cache node's core settings from the one configuration schema, mapped as CacheNode maps them
 * (coreSettingsOf), so simulated nodes run with the defaults real ones start with.
 */
export function coreSettings(
  tier: 'edge' | 'shield',
  name: string,
  maxBytes?: number,
): CoreSettings & { upstreamSockets: number; upstreamQueue: number } {
  const c = tier === 'edge' ? cacheSchema.parse({ name }) : shieldSchema.parse({ name });
  return {
    ...coreSettingsOf(c),
    maxBytes: maxBytes ?? c.maxBytes,
    upstreamSockets: c.upstreamSockets,
    upstreamQueue: c.upstreamQueue,
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
    segmentLifetimeS: mediaLifetimeS(p.windowSegments, td, p.availabilityS),
    playlistMaxAgeS: playlistLifetimeS(td, p.playlistMaxAgeS),
    notFoundMaxAgeS: o.notFoundMaxAgeS,
    immutableMaxAgeS: o.immutableMaxAgeS,
  };
}
