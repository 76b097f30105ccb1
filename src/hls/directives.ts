import type { PlaylistState } from './state.js';

/**
 * Playlist delivery directives (draft-pantos-hls-rfc8216bis 6.2.5): _HLS_msn/_HLS_part ask for a
 * blocking reload, _HLS_skip for a delta update. Pure functions over a PlaylistState, so the
 * rules can be tested without a server.
 */

export interface Directives {
  /** _HLS_msn: the media sequence number the client waits for. */
  msn?: number;
  /** _HLS_part: the part index within msn (only with msn). */
  part?: number;
  /** _HLS_skip=YES or v2: the client accepts a delta update. */
  skip: boolean;
}

/** What a blocking request waits for. */
export interface Target {
  msn: number;
  part?: number;
}

/** decimal-integer (draft 4.2), bounded so it stays an exact Number. */
const DECIMAL = /^\d{1,15}$/;

const MSN = '_HLS_msn';
const PART = '_HLS_part';
const SKIP = '_HLS_skip';

/** Whether a query string (without "?") names any delivery directive, valid or not. */
export function hasDirectives(query: string): boolean {
  return query.includes('_HLS_');
}

/**
 * LL-HLS blocking playlist reload (6.2.5.2): the URL names one playlist version, which never
 * changes, so caches may keep it longer and must not race a second request against it.
 */
export function isBlockingReload(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0 || !hasDirectives(url)) return false;
  const params = new URLSearchParams(url.slice(q + 1));
  return params.has(MSN) || params.has(PART);
}

/** Parse the query string (without "?"); a problem means 400 for a live playlist. */
export function parseDirectives(query: string): Directives | { problem: string } {
  const q = new URLSearchParams(query);
  const msn = q.get(MSN);
  const part = q.get(PART);
  const skip = q.get(SKIP);
  // 6.2.5.2: "If the Playlist URI contains an _HLS_part directive but no _HLS_msn directive, the
  // Server MUST return Bad Request".
  if (part !== null && msn === null) return { problem: '_HLS_part without _HLS_msn' };
  if (msn !== null && !DECIMAL.test(msn)) return { problem: '_HLS_msn must be a decimal integer' };
  if (part !== null && !DECIMAL.test(part)) return { problem: '_HLS_part must be a decimal integer' };
  if (skip !== null && skip !== 'YES' && skip !== 'v2') return { problem: '_HLS_skip must be YES or v2' };
  return {
    ...(msn === null ? {} : { msn: Number(msn) }),
    ...(part === null ? {} : { part: Number(part) }),
    skip: skip !== null,
  };
}

/** The query string asking for `t` (and a delta update when `skip`), as a player sends it. */
export function formatDirectives(t: Partial<Target>, skip = false): string {
  const q: string[] = [];
  if (t.msn !== undefined) q.push(`${MSN}=${t.msn}`);
  if (t.msn !== undefined && t.part !== undefined) q.push(`${PART}=${t.part}`);
  if (skip) q.push(`${SKIP}=YES`);
  return q.join('&');
}

/**
 * 6.2.5.2: a part index past the final part of its segment means part 0 of the next segment.
 * Whether it is past is only known once the segment is complete (its count is in partCounts), so
 * this runs against every version a held request is offered, not once.
 */
export function normalizeTarget(t: Target, live: PlaylistState): Target {
  let { msn, part } = t;
  if (part === undefined) return t;
  // A loop, not an if: a segment with zero parts rolls over again. Bounded by the counts kept.
  for (let i = 0; i <= Object.keys(live.partCounts).length; i++) {
    const count = live.partCounts[msn];
    if (count === undefined || part < count) break;
    msn += 1;
    part = 0;
  }
  return { msn, part };
}

/**
 * Does this version answer the request? Without a part: segment msn is complete. With one: the
 * part is listed, or its segment is complete (which lists all its parts), or a later segment has
 * begun. The draft also lets the server answer with a newer playlist than asked for, never older.
 */
export function satisfies(t: Target, live: PlaylistState): boolean {
  const n = normalizeTarget(t, live);
  if (live.lastMsn >= n.msn) return true;
  if (n.part === undefined) return false;
  return live.partMsn > n.msn || (live.partMsn === n.msn && live.lastPart >= n.part);
}

/**
 * 6.2.5.2: "Advance Part Limit" is 3 / PART-TARGET when PART-TARGET is under one second, else 3:
 * about three seconds of parts, so a player may ask that far ahead of the live edge.
 */
export function advancePartLimit(partTargetS: number): number {
  return partTargetS < 1 ? 3 / partTargetS : 3;
}

/**
 * 6.2.5.2 says a server SHOULD answer 400 at once when _HLS_msn is more than two past the last
 * segment, or _HLS_part exceeds the last listed part by the Advance Part Limit. How many parts lie
 * between the last listed part and a part of a LATER segment is unknown until those segments are
 * cut, so this counts a lower bound (the rest of the current segment as zero, each segment between
 * as the fewest parts any recent segment had): refusing a legitimate player is worse than holding
 * a too-eager one until the 503.
 */
export function tooFarAhead(t: Target, live: PlaylistState): boolean {
  const n = normalizeTarget(t, live);
  // "The last Media Segment": the last complete one, or the one before the segment in progress
  // (the same thing unless the numbering jumped, or no segment is complete yet).
  if (n.msn > Math.max(live.lastMsn, live.partMsn - 1) + 2) return true;
  if (n.part === undefined || n.msn < live.partMsn) return false;
  let ahead: number;
  if (n.msn === live.partMsn) {
    ahead = n.part - live.lastPart;
  } else {
    const counts = Object.values(live.partCounts);
    const fewest = counts.length === 0 ? 1 : Math.min(...counts);
    ahead = (n.msn - live.partMsn - 1) * fewest + n.part + 1;
  }
  return ahead > advancePartLimit(live.partTargetS);
}

/**
 * Low-Latency server profile: a blocking reload's URL names one playlist version, so caches may
 * keep the answer for about six target durations (whole seconds, at least one).
 */
export function blockingMaxAgeS(live: PlaylistState): number {
  return Math.max(1, Math.floor(6 * live.targetDurationS));
}

/** How long a request may be held: 6.2.5.2, "more than three Target Durations" earns a 503. */
export function holdLimitMs(targetDurationS: number): number {
  return Math.round(3 * targetDurationS * 1000);
}
