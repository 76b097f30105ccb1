import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed playback tokens (issue 9): HMAC-SHA256 over the stream's path prefix, an expiry and an
 * optional client scope, so an edge verifies a viewer with no upstream round trip. The token is
 * never part of a cache key: one cached copy serves every holder.
 *
 * Format: base64url(JSON claims) "." base64url(HMAC-SHA256(secret, first part)). Only the
 * characters [A-Za-z0-9_.-] occur, so it travels in a query string or cookie unescaped.
 */

export interface PlaybackClaims {
  /** "app/name" for one stream, "app/" for all of an app, or a path prefix "/app/name/". */
  stream: string;
  /** Unix seconds after which the token is refused. */
  expiresAt: number;
  /** Optional client scope: the viewer's IP address as the edge sees it. */
  client?: string | undefined;
}

export type TokenVerdict =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'malformed' | 'forged' | 'expired' | 'wrong-stream' | 'wrong-client' };

const MAX_TOKEN = 1024;

/** "live/x" and "/live/x/" both mean the folder "/live/x/"; "live/" means "/live/". */
export function streamPrefix(stream: string): string {
  const s = stream.replace(/^\/+/, '');
  return `/${s.endsWith('/') ? s : `${s}/`}`;
}

function mac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/** Sign a playback token (the first secret of a rotation signs). Usable by an operator's service. */
export function signPlaybackToken(secret: string, claims: PlaybackClaims): string {
  const body: Record<string, string | number> = { p: streamPrefix(claims.stream), e: claims.expiresAt };
  if (claims.client !== undefined) body.c = claims.client;
  const head = Buffer.from(JSON.stringify(body)).toString('base64url');
  return `${head}.${mac(secret, head).toString('base64url')}`;
}

/**
 * Check `token` for a request of `path` at `nowMs` from `clientIp`, against every secret in a
 * rotation. Signature first: claims of a forged token are never read.
 */
export function verifyPlaybackToken(
  token: string | undefined,
  secrets: readonly string[],
  path: string,
  nowMs: number,
  clientIp?: string,
): TokenVerdict {
  if (token === undefined || token === '') return { ok: false, reason: 'missing' };
  const dot = token.indexOf('.');
  if (token.length > MAX_TOKEN || dot < 1 || dot !== token.lastIndexOf('.')) {
    return { ok: false, reason: 'malformed' };
  }
  const head = token.slice(0, dot);
  const sig = Buffer.from(token.slice(dot + 1), 'base64url');
  if (sig.length !== 32) return { ok: false, reason: 'malformed' };
  if (!secrets.some((s) => timingSafeEqual(mac(s, head), sig))) return { ok: false, reason: 'forged' };
  let claims: { p?: unknown; e?: unknown; c?: unknown };
  try {
    claims = JSON.parse(Buffer.from(head, 'base64url').toString('utf8')) as typeof claims;
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (typeof claims.p !== 'string' || typeof claims.e !== 'number') return { ok: false, reason: 'malformed' };
  if (claims.e * 1000 <= nowMs) return { ok: false, reason: 'expired' };
  if (!path.startsWith(claims.p)) return { ok: false, reason: 'wrong-stream' };
  if (claims.c !== undefined && claims.c !== clientIp && claims.c !== unmapped(clientIp)) {
    return { ok: false, reason: 'wrong-client' };
  }
  return { ok: true };
}

/** "::ffff:1.2.3.4" (an IPv4 client on a dual-stack socket) is "1.2.3.4" to whoever signed. */
function unmapped(ip: string | undefined): string | undefined {
  return ip?.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export const TOKEN_PARAM = 'token';
export const TOKEN_COOKIE = 'corral_token';
export const TOKEN_HEADER = 'x-playback-token';

/**
 * Give the token to every URI of a playlist served to a token holder. Chosen over a cookie set on
 * the multivariant answer: players fetch cross-origin, where a cookie needs credentialed requests
 * (hls.js's xhrSetup/withCredentials, and Access-Control-Allow-Origin naming the page instead of
 * "*") and browsers increasingly drop third-party cookies; a query parameter works with every
 * player and every page. hls.js keeps a URI's query when it adds _HLS_msn/_HLS_part, so blocking
 * reloads carry it too. URIs that name another host are left alone: the token is for this one.
 */
export function withToken(playlist: string, token: string): string {
  const add = (uri: string) => {
    if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(uri) || uri.includes(`${TOKEN_PARAM}=`)) return uri;
    const hash = uri.indexOf('#');
    const [base, frag] = hash < 0 ? [uri, ''] : [uri.slice(0, hash), uri.slice(hash)];
    return `${base}${base.includes('?') ? '&' : '?'}${TOKEN_PARAM}=${token}${frag}`;
  };
  return playlist
    .split('\n')
    .map((line) => {
      const t = line.trim();
      if (t === '') return line;
      if (!t.startsWith('#')) return add(t) + (line.endsWith('\r') ? '\r' : '');
      return t.includes('URI="')
        ? line.replace(/URI="([^"]*)"/g, (_m, u: string) => `URI="${add(u)}"`)
        : line;
    })
    .join('\n');
}

/** Which streams need a token at this node, and the secrets that sign them (cache.playback). */
export class PlaybackGate {
  readonly #prefixes: string[];
  readonly #secrets: string[];

  constructor(cfg: { secrets: readonly string[]; streams: readonly string[] }) {
    this.#prefixes = cfg.streams.map(streamPrefix);
    this.#secrets = [...cfg.secrets];
  }

  get enabled(): boolean {
    return this.#prefixes.length > 0;
  }

  protects(path: string): boolean {
    for (const p of this.#prefixes) if (path.startsWith(p)) return true;
    return false;
  }

  verify(token: string | undefined, path: string, nowMs: number, clientIp: string | undefined): TokenVerdict {
    return verifyPlaybackToken(token, this.#secrets, path, nowMs, clientIp);
  }
}
