/** Response Cache-Control directives a shared cache acts on (RFC 9111 section 5.2.2). */
export interface Directives {
  maxAge?: number;
  sMaxAge?: number;
  noStore: boolean;
  noCache: boolean;
  private: boolean;
  public: boolean;
  immutable: boolean;
  mustRevalidate: boolean;
  staleWhileRevalidate?: number;
  staleIfError?: number;
}

/** Longest lifetime we accept, in seconds: RFC 9111 1.2.2 suggests 2^31 as "infinity". */
const MAX_DELTA = 2_147_483_648;

function deltaSeconds(v: string | undefined): number {
  if (v === undefined || !/^\d+$/.test(v)) return 0; // invalid max-age means stale (RFC 9111 4.2.1)
  return Math.min(Number(v), MAX_DELTA);
}

/**
 * Parse one or more Cache-Control header values. Quoted values (private="set-cookie") may hold
 * commas, so we split on commas outside quotes only. Unknown directives are ignored.
 */
export function parseCacheControl(value: string | string[] | undefined): Directives {
  const d: Directives = {
    noStore: false,
    noCache: false,
    private: false,
    public: false,
    immutable: false,
    mustRevalidate: false,
  };
  if (value === undefined) return d;
  const text = Array.isArray(value) ? value.join(',') : value;
  if (text.length > 4096) return d; // absurd header: act as if absent rather than spend time on it
  for (const part of text.match(/(?:[^,"]|"[^"]*")+/g) ?? []) {
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const raw = eq < 0 ? undefined : part.slice(eq + 1).trim();
    const val = raw?.startsWith('"') ? raw.slice(1, -1) : raw;
    switch (name) {
      case 'max-age':
        d.maxAge = deltaSeconds(val);
        break;
      case 's-maxage':
        d.sMaxAge = deltaSeconds(val);
        break;
      case 'no-store':
        d.noStore = true;
        break;
      case 'no-cache':
        // The qualified form (no-cache="field") only restricts fields; we treat it as unqualified,
        // which RFC 9111 5.2.2.4 allows.
        d.noCache = true;
        break;
      case 'private':
        d.private = true;
        break;
      case 'public':
        d.public = true;
        break;
      case 'immutable':
        d.immutable = true;
        break;
      case 'must-revalidate':
      case 'proxy-revalidate':
        d.mustRevalidate = true;
        break;
      case 'stale-while-revalidate':
        d.staleWhileRevalidate = deltaSeconds(val);
        break;
      case 'stale-if-error':
        d.staleIfError = deltaSeconds(val);
        break;
    }
  }
  return d;
}

/**
 * The same Cache-Control value with its freshness lifetimes (max-age, s-maxage) and its
 * stale-while-revalidate window multiplied by `factor` (whole seconds; 0 stays 0, "revalidate
 * every time"): an edge under load asks its clients to come back less often. Other directives,
 * stale-if-error included, are kept as they are.
 */
export function scaleLifetimes(value: string, factor: number): string {
  return value.replace(
    /(^|,)(\s*)(max-age|s-maxage|stale-while-revalidate)(\s*=\s*)(\d+)/gi,
    (_m, sep: string, sp: string, name: string, eq: string, v: string) =>
      `${sep}${sp}${name}${eq}${Math.round(Number(v) * factor)}`,
  );
}
