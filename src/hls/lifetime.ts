/**
 * Cache lifetimes of HLS responses, in whole seconds (Cache-Control max-age has no fractions).
 *
 * A media playlist answered to a plain request lives half a target duration (RFC 8216 6.2.2: a
 * client reloads no sooner than that), but never less than 1 s: at 1 s segments half is 0.5 s,
 * which rounds to 0 = "no-cache", and a commodity cache (nginx, Varnish) then forwards every poll
 * of every viewer to the origin. One second of staleness costs a plain-polling viewer at most one
 * reload's delay; LL-HLS clients never see it, because their blocking reloads name a version.
 */
export function playlistLifetimeS(targetDurationS: number, configuredS = 0): number {
  if (configuredS > 0) return Math.floor(configuredS);
  return Math.max(1, Math.floor(targetDurationS / 2));
}

/**
 * How long a cache may serve a playlist past its lifetime while it fetches a fresh one in the
 * background (RFC 5861 stale-while-revalidate): one lifetime, so a poller sees at most two
 * lifetimes of age and the refresh never makes a viewer wait.
 */
export function playlistStaleWhileRevalidateS(maxAgeS: number): number {
  return maxAgeS;
}

/**
 * How long a cache may serve a playlist past its lifetime while its upstream fails (RFC 5861
 * stale-if-error): viewers behind a dead shield or origin get the last playlist (and the segments
 * it lists, which are still fresh) instead of errors, and carry on when the upstream is back.
 */
export const PLAYLIST_STALE_IF_ERROR_S = 30;

/**
 * How long a new live segment or part can still be asked for, in seconds: its time in the window
 * (at least three target durations, RFC 8216 6.2.2) plus the availability time after it leaves,
 * plus one target duration for the one being cut. Caches are told this as its max-age, so they
 * drop it when the origin does, not when their byte budget runs out.
 */
export function mediaLifetimeS(
  windowSegments: number,
  targetDurationS: number,
  availabilityS: number,
): number {
  const td = targetDurationS;
  return Math.ceil(Math.max(windowSegments, 3) * td + td + availabilityS);
}
