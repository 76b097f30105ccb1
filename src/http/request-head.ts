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
const REQUEST_LINE = /^(GET|HEAD) (\/[\x21-\x7e]*) HTTP\/1\.1$/;
const FIELD = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\x20-\x7e\t]*?)[ \t]*$/;
/** Fields that give the message a body, change the protocol or want an interim answer. */
const NOT_PLAIN = new Set(['content-length', 'transfer-encoding', 'upgrade', 'expect', 'http2-settings']);
const MORE: HeadParse = { kind: 'more' };
const OTHER: HeadParse = { kind: 'other' };

/** Parse the head that starts at `off` in `buf`, which may hold more than one request. */
export function parseRequestHead(buf: Buffer, off = 0): HeadParse {
  const end = buf.indexOf(CRLF2, off);
  if (end < 0) return buf.length - off > MAX_HEAD_BYTES ? OTHER : MORE;
  if (end - off > MAX_HEAD_BYTES) return OTHER;
  const text = buf.toString('latin1', off, end);
  const lines = text.split('\r\n');
  const first = REQUEST_LINE.exec(lines[0]!);
  if (first === null) return OTHER;
  if (lines.length - 1 > MAX_FIELDS) return OTHER;
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  let close = false;
  for (let i = 1; i < lines.length; i++) {
    // A bare CR or LF inside a line, or a folded line, fails FIELD: the message is not plain.
    const m = FIELD.exec(lines[i]!);
    if (m === null) return OTHER;
    const name = m[1]!.toLowerCase();
    // node:http keeps the first of some repeated fields and joins others; a plain request has
    // each field once, so there is nothing to choose.
    if (NOT_PLAIN.has(name) || headers[name] !== undefined) return OTHER;
    const value = m[2]!;
    if (name === 'connection') {
      const tokens = value.toLowerCase().split(',');
      for (const t of tokens) {
        const tok = t.trim();
        if (tok === 'close') close = true;
        else if (tok === 'upgrade' || tok === 'http2-settings') return OTHER;
      }
    }
    headers[name] = value;
  }
  if (headers.host === undefined) return OTHER;
  return {
    kind: 'plain',
    method: first[1] as 'GET' | 'HEAD',
    target: first[2]!,
    headers,
    close,
    end: end + 4,
  };
}
