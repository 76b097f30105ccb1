import { isBlockingReload } from '../hls/directives.js';
import type { IncomingHttpHeaders } from 'node:http';
import { entryLru } from './lru.js';
import { headerString } from '../http/fields.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Entry } from './entry.js';
import type { Waiter } from './waiter.js';
import { playlistLifetimeS } from '../hls/lifetime.js';
import { mediaPlaylistInfo, playlistUris, type MediaPlaylistInfo } from '../hls/summary.js';
import type { KnownPaths } from './unknown.js';
import { KnownNames } from './known-names.js';

/**
 * How long a live playlist's names stay known after the last playlist that listed them (one to
 * two of these). A player asks for names from a playlist it fetched at most a few target
 * durations ago, and viewers may ask for a name up to `package.availabilityS` (30 s by default)
 * after it left; a name asked for later still goes upstream, only through the guard's probing.
 */
const KNOWN_LIVE_MS = 60_000;

export interface LiveOptions {
  /** Hold requests at most this many sequence numbers beyond the newest listed. */
  maxAhead: number;
  /** ...for at most this many target durations. */
  holdFactor: number;
  /** Hold timeouts and playlist refreshes run on it. */
  clock: Clock;
  onHoldOutcome: (outcome: 'appeared' | 'timeout') => void;
  /** Fetch this playlist again unless a fresh copy or a fetch is already there. */
  refresh: (playlistUrl: string) => void;
  /** How long the newest playlist of a path stays a fallback for upstream errors (0: never). */
  staleIfErrorMs?: number;
  /** Which expired plain playlists are refreshed first (see capPlain); 'never' by default. */
  refreshFirst?: RefreshFirst;
}

/** cache.playlistRefreshFirst: 'auto' for playlists that offer no blocking reload (ttl freshness). */
export type RefreshFirst = 'auto' | 'always' | 'never';

function refreshesFirst(mode: RefreshFirst | undefined, canBlockReload: boolean): boolean {
  return mode === 'always' || (mode === 'auto' && !canBlockReload);
}

export interface Held {
  w: Waiter;
  appeared: boolean;
}

/** What one media playlist taught us: where its numbering stands and how its URIs are built. */
interface Stream {
  playlistUrl: string;
  newestSeq: number;
  /** Newest part known (a preload hint counts: the origin blocks on it, so it may be forwarded). */
  newestPart: [number, number] | undefined;
  targetMs: number;
  canBlockReload: boolean;
  /** Held requests grouped by the sequence they wait for: one timer per group, not per viewer. */
  groups: Map<
    string,
    { seq: number; part: number; waiters: Array<(appeared: boolean) => void>; timer: TimerHandle }
  >;
  refreshTimer: TimerHandle | undefined;
}

/** "dir/seg-" + "\0" + ".m4s": a URI with its sequence number taken out. */
type TemplateKey = string;
interface Template {
  stream: Stream;
  /** Number in the URI minus the media sequence number (0 when the URI carries the MSN itself). */
  offset: number;
}

/** Each digit run in a path: [prefix, number, suffix]. */
function digitRuns(path: string): Array<[string, number, string]> {
  const out: Array<[string, number, string]> = [];
  for (const m of path.matchAll(/\d{1,15}/g)) {
    out.push([path.slice(0, m.index), Number(m[0]), path.slice(m.index + m[0].length)]);
  }
  return out;
}

function partSuffixKey(suffix: string): string {
  return suffix.replace(/\d+/g, '#');
}

/**
 * Live-aware rules (issue 3, section 5). Media playlists passing through teach us, per playlist,
 * the newest media sequence and the URI pattern of its segments and parts. A request for a
 * sequence slightly beyond the newest is held until a playlist lists it, instead of being
 * forwarded and answered with a 404 that a cache would then keep; a playlist older than one
 * already served is never handed out, so one viewer's media sequence never goes backwards.
 */
export class LiveRules implements KnownPaths {
  readonly #opts: LiveOptions;
  readonly #streams = entryLru<string, Stream>(10_000, { dispose: (s) => this.#dispose(s) });
  readonly #segments = entryLru<TemplateKey, Template>(20_000);
  readonly #parts = entryLru<TemplateKey, Template>(20_000);
  /** Newest playlist version handed out per exact URL, with its sequence. */
  readonly #served = entryLru<string, { seq: number; window: number; ended: boolean; entry: Entry }>(10_000);
  /** Paths listed in playlists that passed (and the playlists), for the unknown-path guard. */
  readonly #known: KnownNames;
  /** Newest whole playlist answer per path (any query), the fallback while upstream fails. */
  readonly #lastGood = entryLru<string, Entry>(10_000);
  /** Folders holding playlists, and their parents (not "/"). */
  readonly #liveDirs = entryLru<string, true>(10_000);

  constructor(opts: LiveOptions) {
    this.#opts = opts;
    this.#known = new KnownNames({ clock: opts.clock, periodMs: KNOWN_LIVE_MS, maxEntries: 50_000 });
  }

  isPlaylist(url: string, headers: IncomingHttpHeaders): boolean {
    const ct = (headerString(headers['content-type']) ?? '').toLowerCase();
    return ct.includes('mpegurl') || url.split('?', 1)[0]!.endsWith('.m3u8');
  }

  /** Where a request path falls in a known stream's numbering, if it looks like its segment or part. */
  #locate(url: string): { stream: Stream; seq: number; part: number } | undefined {
    if (url.includes('?')) return undefined;
    for (const [prefix, n, suffix] of digitRuns(url)) {
      const seg = this.#segments.get(`${prefix}\0${suffix}`);
      if (seg !== undefined) return { stream: seg.stream, seq: n - seg.offset, part: -1 };
      const part = this.#parts.get(`${prefix}\0${partSuffixKey(suffix)}`);
      const p = /\d+/.exec(suffix);
      if (part !== undefined && p !== null)
        return { stream: part.stream, seq: n - part.offset, part: Number(p[0]) };
    }
    return undefined;
  }

  #isListed(s: Stream, seq: number, part: number): boolean {
    if (part < 0) return seq <= s.newestSeq;
    if (seq <= s.newestSeq) return true;
    const np = s.newestPart;
    return np !== undefined && (seq < np[0] || (seq === np[0] && part <= np[1]));
  }

  /** A segment or part the stream does not list (yet). Its 404 must not be cached. */
  isFuture(url: string): boolean {
    const loc = this.#locate(url);
    return loc !== undefined && !this.#isListed(loc.stream, loc.seq, loc.part);
  }

  /**
   * Hold `w` when it asks for a segment up to `maxAhead` beyond the newest listed. Returns false
   * when the request should go on as usual. `done` runs exactly once per held request.
   */
  maybeHold(url: string, w: Waiter, done: (h: Held) => void): boolean {
    const loc = this.#locate(url);
    if (loc === undefined) return false;
    const { stream: s, seq, part } = loc;
    if (this.#isListed(s, seq, part) || seq > s.newestSeq + this.#opts.maxAhead) return false;
    const id = `${seq}.${part}`;
    let g = s.groups.get(id);
    if (g === undefined) {
      const timer = this.#opts.clock.setTimeout(
        () => this.#releaseGroup(s, id, false),
        s.targetMs * this.#opts.holdFactor,
      );
      g = { seq, part, waiters: [], timer };
      s.groups.set(id, g);
    }
    let settled = false;
    const once = (appeared: boolean) => {
      if (settled) return;
      settled = true;
      done({ w, appeared });
    };
    g.waiters.push(once);
    // A viewer that leaves while held is settled right away, so the parked gauge stays right.
    w.res.once('close', () => once(false));
    this.#ensureRefreshing(s);
    return true;
  }

  #ensureRefreshing(s: Stream): void {
    this.#opts.refresh(s.playlistUrl);
    if (s.refreshTimer !== undefined) return;
    // One timer per stream while anything is held: the playlist must be re-read even when no
    // viewer asks for it through this node, or held requests could only time out.
    const every = Math.max(50, s.targetMs / 4);
    const tick = () => {
      if (s.groups.size === 0) {
        s.refreshTimer = undefined;
        return;
      }
      this.#opts.refresh(s.playlistUrl);
      s.refreshTimer = this.#opts.clock.setTimeout(tick, every);
    };
    s.refreshTimer = this.#opts.clock.setTimeout(tick, every);
  }

  #releaseGroup(s: Stream, id: string, appeared: boolean): void {
    const g = s.groups.get(id);
    if (g === undefined) return;
    s.groups.delete(id);
    this.#opts.clock.clearTimeout(g.timer);
    this.#opts.onHoldOutcome(appeared ? 'appeared' : 'timeout');
    for (const fn of g.waiters) fn(appeared);
  }

  /**
   * Review a complete playlist answer: learn from it, cap its freshness at a playlist's lifetime,
   * and return the entry to serve: the new one, or the newer one already served.
   */
  acceptPlaylist(url: string, e: Entry): Entry {
    if (e.status !== 200 || e.body.error !== undefined) return e;
    const text = e.body.concat().toString('utf8');
    const path = url.split('?', 1)[0]!;
    const info = mediaPlaylistInfo(text);
    this.#remember(path, text, info !== undefined && !info.ended);
    this.#lastGood.set(path, e);
    if (info === undefined) return e;
    const newest = info.mediaSequence + info.segments.length - 1;
    const seen = this.#served.get(url);
    if (seen !== undefined && newest < seen.seq && !newSession(seen, newest)) return seen.entry;
    // A blocking reload's URL names one version (msn/part), which never changes: it keeps the
    // origin's lifetime (the LL-HLS server profile asks ~6 target durations). Only the plain
    // playlist URL goes stale.
    if (!isBlockingReload(url)) {
      capPlain(e, info.targetDurationS, refreshesFirst(this.#opts.refreshFirst, info.canBlockReload));
    }
    this.#served.set(url, { seq: newest, window: info.segments.length, ended: info.ended, entry: e });
    this.#learn(path, url, info, newest);
    return e;
  }

  /**
   * A 304 renewed a stored playlist: the same caps as its 200 had (a 304 carries the origin's
   * headers again, and the body, hence its target duration, is the one already held).
   */
  renewPlaylist(url: string, e: Entry): Entry {
    if (e.status !== 200 || isBlockingReload(url)) return e;
    const s = this.#streams.get(url.split('?', 1)[0]!);
    if (s !== undefined && s.targetMs > 0) {
      capPlain(e, s.targetMs / 1000, refreshesFirst(this.#opts.refreshFirst, s.canBlockReload));
    }
    return e;
  }

  #remember(path: string, text: string, live: boolean): void {
    this.#known.addLasting(path);
    for (let i = path.lastIndexOf('/'); i > 0; i = path.lastIndexOf('/', i - 1)) {
      this.#liveDirs.set(path.slice(0, i + 1), true);
    }
    const base = new URL(path, 'http://h');
    for (const uri of playlistUris(text)) {
      if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(uri)) continue; // another host's: not ours to know
      const u = new URL(uri, base);
      if (live) this.#known.addLive(u.pathname);
      else this.#known.addLasting(u.pathname);
    }
  }

  /**
   * The newest playlist this node had for `url`'s path, to serve while the upstream is down. A
   * live playlist is sent with a lifetime under a second (often no-cache), so there is seldom a
   * stored copy to go stale; and a blocking reload names a version nobody has yet. Either way a
   * player given an error stops, while one given the last playlist it could have had keeps
   * polling and plays on from the segments it lists. This bends no-cache (RFC 9111 5.2.2.4)
   * for the one case where the alternative is an error page, within the stale-if-error window.
   */
  fallback(url: string): Entry | undefined {
    const window = this.#opts.staleIfErrorMs ?? 0;
    if (window === 0) return undefined;
    const q = url.indexOf('?');
    const e = this.#lastGood.get(q < 0 ? url : url.slice(0, q));
    if (e === undefined || this.#opts.clock.now() - e.responseTime > window) return undefined;
    return e;
  }

  isKnown(path: string): boolean {
    return this.#known.has(path);
  }

  isLiveDir(dir: string): boolean {
    return this.#liveDirs.has(dir);
  }

  #learn(path: string, url: string, info: MediaPlaylistInfo, newest: number): void {
    let s = this.#streams.get(path);
    if (s === undefined) {
      s = {
        playlistUrl: url,
        newestSeq: newest,
        newestPart: undefined,
        targetMs: 0,
        canBlockReload: false,
        groups: new Map(),
        refreshTimer: undefined,
      };
      this.#streams.set(path, s);
    }
    if (!url.includes('?')) s.playlistUrl = url;
    s.targetMs = info.targetDurationS * 1000;
    s.canBlockReload = info.canBlockReload;
    s.newestSeq = Math.max(s.newestSeq, newest);
    const base = new URL(path, 'http://h');
    const resolve = (uri: string) => {
      const u = new URL(uri, base);
      return u.host === 'h' && u.search === '' ? u.pathname : undefined;
    };
    // A template is trusted when the first and last segment agree on prefix, suffix and offset.
    const first = info.segments[0] === undefined ? undefined : resolve(info.segments[0]);
    const last = resolve(info.segments[info.segments.length - 1] ?? '');
    if (first !== undefined && last !== undefined) {
      const firstRuns = digitRuns(first);
      const lastRuns = digitRuns(last);
      for (let i = lastRuns.length - 1; i >= 0; i--) {
        const [p, n, sfx] = lastRuns[i]!;
        const f = firstRuns[i];
        const offset = n - newest;
        if (f === undefined || f[0] !== p || f[2] !== sfx || f[1] - info.mediaSequence !== offset) continue;
        if (info.segments.length === 1 && offset !== 0) continue; // one sample cannot prove a pattern
        this.#segments.set(`${p}\0${sfx}`, { stream: s, offset });
        this.#learnParts(s, info, resolve, p, offset);
        break;
      }
    }
    for (const [id, g] of s.groups) if (this.#isListed(s, g.seq, g.part)) this.#releaseGroup(s, id, true);
  }

  #learnParts(
    s: Stream,
    info: MediaPlaylistInfo,
    resolve: (u: string) => string | undefined,
    prefix: string,
    offset: number,
  ): void {
    const last = info.parts[info.parts.length - 1];
    if (last === undefined) return;
    const path = resolve(last.uri);
    if (path === undefined || !path.startsWith(prefix)) return;
    const m = /^(\d+)(\D.*)$/.exec(path.slice(prefix.length));
    const p = m === null ? null : /\d+/.exec(m[2]!);
    if (m === null || p === null) return;
    this.#parts.set(`${prefix}\0${partSuffixKey(m[2]!)}`, { stream: s, offset });
    const seq = Number(m[1]) - offset;
    const np = s.newestPart;
    if (np === undefined || seq > np[0] || (seq === np[0] && Number(p[0]) > np[1]))
      s.newestPart = [seq, Number(p[0])];
  }

  #dispose(s: Stream): void {
    this.#opts.clock.clearTimeout(s.refreshTimer);
    s.refreshTimer = undefined;
    for (const id of [...s.groups.keys()]) this.#releaseGroup(s, id, false);
  }

  close(): void {
    for (const s of this.#streams.values()) this.#dispose(s);
    this.#streams.clear();
  }
}

/**
 * The plain playlist URL goes stale, so an origin that asks for more than the HLS rule allows
 * (half a target duration, at least 1 s) is capped at that. With `refreshFirst`, its
 * stale-while-revalidate window serves only the requests that arrive while a refresh runs: the
 * first request after expiry waits for the refresh instead. Otherwise the first viewer after
 * expiry gets a copy one lifetime old, at every tier: with few viewers that is nearly every poll,
 * and behind edge and shield hls.js got playlists 1-3 segments old (bench/README.md, "Viewer
 * capacity"). By default ('auto') only where players cannot block (see cache.playlistRefreshFirst).
 */
function capPlain(e: Entry, targetDurationS: number, refreshFirst: boolean): void {
  const capMs = playlistLifetimeS(targetDurationS) * 1000;
  const p = e.policy;
  e.policy = {
    ...p,
    lifetimeMs: Math.min(p.lifetimeMs, capMs),
    swrMs: Math.min(p.swrMs, capMs),
    refreshFirst,
  };
  e.policy.storable = p.storable && e.policy.lifetimeMs > 0;
}

/**
 * A playlist older than the one already served is normally a late answer that must not take a
 * viewer backwards. But a name can be reused: a new broadcast restarts its numbering, and serving
 * the old session's playlist would hide it until the new numbers pass the old. So an older
 * playlist is accepted as a new session when the one served had ended, or when it lies further
 * back than a whole window (no reordering of in-flight answers goes back that far).
 */
function newSession(seen: { seq: number; window: number; ended: boolean }, newest: number): boolean {
  return seen.ended || newest < seen.seq - Math.max(seen.window, 3);
}
