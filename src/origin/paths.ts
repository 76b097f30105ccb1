import { CorralError } from '../util/errors.js';

/**
 * Object path rules, shared by the in-process push, the HTTP receiver and the stores, so a path
 * that one entry point accepts is exactly what every other accepts. Paths name objects; they are
 * never joined onto a file system path as-is (the disk store hashes them), but rejecting anything
 * that looks like traversal keeps downstream tiers and log readers from being surprised.
 */

/** Longest raw request target we parse; real object URLs are well under 200 bytes. */
export const MAX_URL_LENGTH = 2048;
/** Longest decoded object path. */
export const MAX_PATH_LENGTH = 1024;

// Control characters (incl. NUL and DEL) and backslashes have no business in an object name.
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARS = /[\u0000-\u001f\u007f\\]/;

/** Why a path is unacceptable, or undefined when it is fine. */
export function pathProblem(path: string, opts: { prefix?: boolean } = {}): string | undefined {
  if (path.length === 0) return 'empty path';
  if (path.length > MAX_PATH_LENGTH) return 'path too long';
  if (path.startsWith('/')) return 'path must not start with "/"';
  if (FORBIDDEN_CHARS.test(path)) return 'control character or backslash in path';
  const body = opts.prefix && path.endsWith('/') ? path.slice(0, -1) : path;
  if (body.length === 0) return 'empty prefix';
  for (const seg of body.split('/')) {
    if (seg === '') return 'empty path segment';
    if (seg === '.' || seg === '..') return 'dot segment in path';
  }
  return undefined;
}

/** Throw BAD_REQUEST unless `path` is a valid object path (or, with `prefix`, a "dir/" prefix). */
export function assertValidPath(path: string, opts: { prefix?: boolean } = {}): void {
  const problem = pathProblem(path, opts);
  if (problem !== undefined) {
    throw new CorralError('BAD_REQUEST', `${problem}: ${JSON.stringify(path.slice(0, 100))}`);
  }
}

/**
 * Turn a raw request target ("/live/demo/seg1.m4s?x=1") into an object path ("live/demo/seg1.m4s"),
 * or a problem string. The checks run on the raw form too, because "%2e%2e" and "%5c" must not
 * sneak past by being decoded after the check, and a "%2f" must not hide a double slash.
 */
export function parseRequestPath(
  rawUrl: string,
  opts: { prefix?: boolean } = {},
): { path: string } | { problem: string } {
  if (rawUrl.length > MAX_URL_LENGTH) return { problem: 'URL too long' };
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  if (!rawPath.startsWith('/')) return { problem: 'request target must be an absolute path' };
  if (rawPath.includes('\\')) return { problem: 'backslash in path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { problem: 'bad percent-encoding' };
  }
  const path = decoded.slice(1);
  const problem = pathProblem(path, opts);
  return problem === undefined ? { path } : { problem };
}
