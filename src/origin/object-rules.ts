import type { ObjectKind } from './types.js';

/**
 * What a packager may push: only the object shapes corral's packager produces, so a leaked push
 * token cannot turn the origin into a host for arbitrary files (an `index.html` served as
 * text/html from the stream domain). Paths are `APP/NAME/index.m3u8` (multivariant) or
 * `APP/NAME/RENDITION/FILE`, each name in the same alphabet the ingest accepts for stream names.
 */

const NAME = /^[A-Za-z0-9_-]{1,128}$/;
const FILE = /^[A-Za-z0-9_.-]{1,128}$/;
const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const MEDIA_TYPES: ReadonlySet<string> = new Set(['video/mp4', 'audio/mp4']);

const RULES: Record<ObjectKind, { depth: number; ext: string; types: ReadonlySet<string> }> = {
  multivariant: { depth: 3, ext: '.m3u8', types: new Set([PLAYLIST_TYPE]) },
  playlist: { depth: 4, ext: '.m3u8', types: new Set([PLAYLIST_TYPE]) },
  init: { depth: 4, ext: '.mp4', types: MEDIA_TYPES },
  segment: { depth: 4, ext: '.m4s', types: MEDIA_TYPES },
  part: { depth: 4, ext: '.m4s', types: MEDIA_TYPES },
};

/** Why a pushed object is not one the packager would produce, or undefined when it is. */
export function pushedObjectProblem(path: string, kind: ObjectKind, contentType: string): string | undefined {
  const rule = RULES[kind];
  const segs = path.split('/');
  if (segs.length !== rule.depth) {
    return rule.depth === 3
      ? `a ${kind} lives at APP/NAME/FILE, not ${path}`
      : `a ${kind} lives at APP/NAME/RENDITION/FILE, not ${path}`;
  }
  const file = segs.pop()!;
  if (!segs.every((s) => NAME.test(s)) || !FILE.test(file)) return `unexpected characters in ${path}`;
  if (!file.endsWith(rule.ext)) return `a ${kind} must be a ${rule.ext} file, not ${file}`;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (!rule.types.has(type))
    return `a ${kind} is sent as ${[...rule.types].join(' or ')}, not ${contentType}`;
  return undefined;
}
