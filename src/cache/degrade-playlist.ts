import {
  parsePlaylist,
  renderPlaylist,
  type MediaPlaylist,
  type MultivariantPlaylist,
  type Playlist,
} from '../hls/index.js';
import { scaleLifetimes } from '../http/cache-control.js';
import { headerString } from '../http/fields.js';
import { SharedBody } from './body.js';
import type { DegradeStep } from './degrade.js';
import type { Entry } from './entry.js';

export type PlaylistKind = 'multivariant' | 'media' | 'other';

interface Memo {
  /** The cached version, parsed once (undefined: not a whole playlist, or one that does not parse). */
  playlist: Playlist | undefined;
  byStep: Map<DegradeStep, Entry>;
}

/** Each cached version is parsed once, and rewritten once per step, while the edge degrades. */
const memo = new WeakMap<Entry, Memo>();

function memoOf(e: Entry): Memo {
  let m = memo.get(e);
  if (m === undefined) {
    let playlist: Playlist | undefined;
    const ct = (headerString(e.headers['content-type'] as string | string[] | undefined) ?? '').toLowerCase();
    if (e.status === 200 && e.body.complete && ct.includes('mpegurl')) {
      try {
        playlist = parsePlaylist(e.body.concat().toString('utf8'));
      } catch {
        playlist = undefined; // served as it came
      }
    }
    m = { playlist, byStep: new Map() };
    memo.set(e, m);
  }
  return m;
}

/** A whole 200 playlist answer: multivariant or media; anything else is 'other'. */
export function playlistKind(e: Entry): PlaylistKind {
  return memoOf(e).playlist?.kind ?? 'other';
}

/**
 * Without its `drop` highest-bandwidth video variants (those with a RESOLUTION, or all when none
 * says): at least one video variant always stays, and audio-only variants are never dropped.
 */
export function withoutTopRungs(p: MultivariantPlaylist, drop: number): MultivariantPlaylist {
  const video = p.variants.filter((v) => v.resolution !== undefined);
  const pool = video.length > 0 ? video : p.variants;
  const n = Math.min(drop, pool.length - 1);
  if (n <= 0) return p;
  const gone = new Set([...pool].sort((a, b) => b.bandwidth - a.bandwidth).slice(0, n));
  return { ...p, variants: p.variants.filter((v) => !gone.has(v)) };
}

/**
 * More delay, fewer reloads: hold-back doubled (from its RFC 8216 default of three target
 * durations when the playlist names none), part hold-back doubled when there is one.
 */
export function withLongerHoldBack(p: MediaPlaylist): MediaPlaylist {
  const sc = p.serverControl ?? { canBlockReload: false };
  return {
    ...p,
    serverControl: {
      ...sc,
      holdBackS: (sc.holdBackS ?? 3 * p.targetDurationS) * 2,
      ...(sc.partHoldBackS === undefined ? {} : { partHoldBackS: sc.partHoldBackS * 2 }),
    },
  };
}

/**
 * The answer a viewer gets at `step` (see DegradeStep): multivariant playlists lose their top
 * rung(s) from step 1; media playlists get the longer hold-back and lifetime from step 2. The
 * copy is made once per cached version and step. A playlist that does not parse is served as is.
 */
export function degraded(e: Entry, step: DegradeStep, dropRungs: number): Entry {
  if (step === 0) return e;
  const m = memoOf(e);
  const p = m.playlist;
  if (p === undefined || (p.kind === 'media' && step < 2)) return e;
  const done = m.byStep.get(step);
  if (done !== undefined) return done;
  const changed = p.kind === 'multivariant' ? withoutTopRungs(p, dropRungs) : withLongerHoldBack(p);
  let out = e;
  if (changed !== p) {
    const headers = { ...e.headers };
    // Another representation: the upstream's validators no longer describe these bytes.
    delete headers.etag;
    delete headers['last-modified'];
    const cc = headerString(headers['cache-control'] as string | string[] | undefined);
    if (step >= 2 && cc !== undefined) headers['cache-control'] = scaleLifetimes(cc, 2);
    const body = SharedBody.of(Buffer.from(renderPlaylist(changed)));
    out = { ...e, headers, body, etag: undefined, lastModified: undefined };
  }
  m.byStep.set(step, out);
  return out;
}
