import type { IncomingHttpHeaders } from 'node:http';

/**
 * One field value as a string. Node gives a few fields as arrays when they repeat; RFC 9110 5.3
 * says a repeated list field means the same as its values joined with commas.
 */
export function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

/** A request field by its lowercase name, joined if repeated. */
export function field(headers: IncomingHttpHeaders, name: string): string | undefined {
  return headerString(headers[name]);
}
