import { TOKEN_PARAM } from './token.js';

/**
 * The request target as this node keys and forwards it. Only the query parameters that change the
 * answer survive (issue 9): a random `?x=...` or a viewer's token would otherwise give each request
 * a cache key of its own and cost one upstream fetch each, and a token sent upstream would leak.
 */
export class TargetNormaliser {
  readonly #keep: ReadonlySet<string>;
  readonly #keepAll: boolean;

  constructor(keepParams: readonly string[]) {
    this.#keep = new Set(keepParams);
    this.#keepAll = this.#keep.has('*');
  }

  /** `url` with kept parameters only, sorted so their order does not split the key. */
  normalise(url: string): string {
    const q = url.indexOf('?');
    // The common case (segments, plain playlists): no allocation at all.
    if (q < 0) return url.includes('%') ? decodeUnreserved(url) : url;
    const path = url.slice(0, q);
    const kept: string[] = [];
    for (const pair of url.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      if (this.#keepAll ? name !== TOKEN_PARAM : this.#keep.has(name)) kept.push(pair);
    }
    const clean = path.includes('%') ? decodeUnreserved(path) : path;
    if (kept.length === 0) return clean;
    if (!this.#keepAll) kept.sort();
    return `${clean}?${kept.join('&')}`;
  }
}

/**
 * RFC 3986 6.2.2.2: %-encoded unreserved characters mean the characters themselves, so
 * "/live/x/%73eg-1.m4s" is "/live/x/seg-1.m4s" and must not be a key of its own.
 */
function decodeUnreserved(path: string): string {
  return path.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : m.toUpperCase();
  });
}

/** The raw value of query parameter `name`, or undefined (first occurrence). */
export function queryParam(url: string, name: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  for (const pair of url.slice(q + 1).split('&')) {
    if (pair.startsWith(name) && pair.charCodeAt(name.length) === 61 /* = */) {
      return pair.slice(name.length + 1);
    }
  }
  return undefined;
}

/** The value of cookie `name` in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const p = part.trim();
    if (p.startsWith(name) && p.charCodeAt(name.length) === 61) return p.slice(name.length + 1);
  }
  return undefined;
}
