/**
 * The request heads a cache tier answers without node:http: GET or HEAD, HTTP/1.1, no body, every
 * line well-formed. Anything else is not refused here but reported as 'other', and the caller
 * hands the connection to node:http, which then decides (400, 431, a body, an upgrade). So this
 * parser never has to agree with node:http on a strange message: it only takes plain ones, and a
 * plain message has one reading (RFC 9112 sections 2-3, 5; no obs-fold, no bare CR or LF).
 */

/** A plain GET/HEAD head, ready to answer. `headers` has lower-case names, as node:http gives. */
export interface PlainRequest {
  method: 'GET' | 'HEAD';
  target: string;
  headers: Record<string, string>;
  /** The client asked to close after this answer. */
  close: boolean;
  /** Offset just past the head's blank line: where the next request starts. */
  end: number;
}

export type HeadParse = { kind: 'more' } | { kind: 'other' } | ({ kind: 'plain' } & PlainRequest);

/** node:http's own default limit for a request head. */
export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_FIELDS = 100;
const CRLF2 = Buffer.from('\r\n\r\n');
/** RFC 9110 5.6.2 tchar: the bytes a field name is made of. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
  TCHAR[c.charCodeAt(0)] = 1;
const HTTP11 = Buffer.from(' HTTP/1.1\r\n', 'latin1');
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
/** Fields that give the message a body, change the protocol or want an interim answer. */
const NOT_PLAIN = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings']);
/**
 * Field names seen before, each kept as one string object. Storing a freshly sliced string as a
 * key of the headers object changes a property-store cache on every request, and V8 then never
 * optimizes this function (measured: 2.5-4 us per head instead of 0.4); a name that was used as a
 * key before is already internalized. Bounded in count and in name length (at most ~32 KB), and
 * seeded with the common names, so a client sending made-up names cannot crowd those out: past
 * the bound, new names are used as they come (slower, never wrong).
 */
const MAX_NAMES = 512;
const MAX_NAME_LENGTH = 64;
const NAMES = new Map<string, string>(
  [
    'host',
    'user-agent',
    'accept',
    'accept-encoding',
    'accept-language',
    'connection',
    'origin',
    'referer',
    'cookie',
    'range',
    'if-range',
    'if-none-match',
    'if-modified-since',
    'authorization',
    'cache-control',
    'pragma',
    'via',
    'x-forwarded-for',
    'sec-fetch-mode',
    'sec-fetch-site',
    'sec-fetch-dest',
  ].map((n) => [n, n]),
);
const MORE: HeadParse = { kind: 'more' };
const OTHER: HeadParse = { kind: 'other' };

/** Does `buf` hold `word` at `at`? */
function has(buf: Buffer, at: number, word: Buffer): boolean {
  if (at + word.length > buf.length) return false;
  for (let i = 0; i < word.length; i++) if (buf[at + i] !== word[i]) return false;
  return true;
}

/**
 * Parse the head that starts at `off` in `buf`, which may hold more than one request. A byte
 * scan over the buffer, not regular expressions over a decoded string, because it runs once per
 * cached hit. Every line ends at a CR that must be followed by LF; the head's own blank line
 * bounds every scan.
 */
export function parseRequestHead(buf: Buffer, off = 0): HeadParse {
  const end = buf.indexOf(CRLF2, off);
  if (end < 0) return buf.length - off > MAX_HEAD_BYTES ? OTHER : MORE;
  if (end - off > MAX_HEAD_BYTES) return OTHER;
  let p = off;
  let method: 'GET' | 'HEAD';
  if (buf[p] === 0x47 && buf[p + 1] === 0x45 && buf[p + 2] === 0x54 && buf[p + 3] === SP) {
    method = 'GET';
    p += 4;
  } else if (
    buf[p] === 0x48 &&
    buf[p + 1] === 0x45 &&
    buf[p + 2] === 0x41 &&
    buf[p + 3] === 0x44 &&
    buf[p + 4] === SP
  ) {
    method = 'HEAD';
    p += 5;
  } else return OTHER;
  // origin-form only: "/" then visible ASCII up to the one space before the version.
  if (buf[p] !== 0x2f) return OTHER;
  const t0 = p;
  while (p < end) {
    const b = buf[p]!;
    if (b === SP) break;
    if (b < 0x21 || b > 0x7e) return OTHER;
    p++;
  }
  if (p >= end || !has(buf, p, HTTP11)) return OTHER;
  const target = buf.toString('latin1', t0, p);
  p += HTTP11.length;
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let close = false;
  let fields = 0;
  while (p < end) {
    if (++fields > MAX_FIELDS) return OTHER;
    const n0 = p;
    let upper = false;
    while (TCHAR[buf[p]!] === 1) {
      if (buf[p]! <= 0x5a && buf[p]! >= 0x41) upper = true;
      p++;
    }
    // An empty name, a space before the colon, a folded line: not plain.
    if (p === n0 || buf[p] !== 0x3a) return OTHER;
    let name = buf.toString('latin1', n0, p);
    if (upper) name = name.toLowerCase();
    const known = NAMES.get(name);
    if (known !== undefined) name = known;
    else if (NAMES.size < MAX_NAMES && name.length <= MAX_NAME_LENGTH) NAMES.set(name, name);
    p++;
    while (buf[p] === SP || buf[p] === HTAB) p++;
    const v0 = p;
    let v1 = p;
    // Visible ASCII, space and tab; a NUL, obs-text or a bare LF ends the plain reading. The
    // head's blank line starts with a CR, so the scan stops there at the latest.
    for (;;) {
      const b = buf[p]!;
      if (b === CR) break;
      if (b === HTAB || b === SP) {
        p++;
        continue;
      }
      if (b < 0x21 || b > 0x7e) return OTHER;
      v1 = ++p;
    }
    if (buf[p + 1] !== LF) return OTHER;
    p += 2;
    // node:http keeps the first of some repeated fields and joins others; a plain request has
    // each field once, so there is nothing to choose.
    if (NOT_PLAIN.has(name) || headers[name] !== undefined) return OTHER;
    const value = buf.toString('latin1', v0, v1);
    if (name === 'connection') {
      for (const t of value.toLowerCase().split(',')) {
        const tok = t.trim();
        if (tok === 'close') close = true;
        else if (tok === 'upgrade' || tok === 'http2-settings') return OTHER;
      }
    }
    headers[name] = value;
  }
  if (headers.host === undefined) return OTHER;
  return { kind: 'plain', method, target, headers, close, end: end + 4 };
}
