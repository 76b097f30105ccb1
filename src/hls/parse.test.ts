import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { isCorralError } from '../util/errors.js';
import { DEFAULT_LIMITS } from './limits.js';
import { parseMediaPlaylist, parseMultivariantPlaylist, parsePlaylist } from './parse.js';
import { renderPlaylist } from './render.js';

const M = '#EXTM3U\n#EXT-X-TARGETDURATION:1\n';
const V = '#EXTM3U\n';

/** Input that must be refused with HLS_PARSE, and what the message names. */
const BAD: Array<[string, string, RegExp]> = [
  ['empty', '', /no #EXTM3U header/],
  ['no header', '#EXT-X-TARGETDURATION:1\n#EXTINF:1,\na.ts\n', /no #EXTM3U header/],
  ['header repeated', `${M}#EXTM3U\n`, /repeated/],
  ['no target duration', '#EXTM3U\n#EXTINF:1,\na.ts\n', /no EXT-X-TARGETDURATION/],
  ['target duration not an integer', '#EXTM3U\n#EXT-X-TARGETDURATION:1.5\n', /decimal-integer/],
  ['target duration twice', `${M}#EXT-X-TARGETDURATION:1\n`, /repeated/],
  ['negative sequence', `${M}#EXT-X-MEDIA-SEQUENCE:-1\n`, /decimal-integer/],
  ['sequence too big to be exact', `${M}#EXT-X-MEDIA-SEQUENCE:9999999999999999\n`, /decimal-integer/],
  ['sequence after a segment', `${M}#EXTINF:1,\na\n#EXT-X-MEDIA-SEQUENCE:3\n`, /after the first segment/],
  ['tag without its value', `${M}#EXT-X-MEDIA-SEQUENCE\n`, /needs a value/],
  ['URI without EXTINF', `${M}a.ts\n`, /URI without EXTINF/],
  ['EXTINF without URI', `${M}#EXTINF:1,\n`, /EXTINF without a URI/],
  ['two EXTINF', `${M}#EXTINF:1,\n#EXTINF:1,\na\n`, /two EXTINF/],
  ['EXTINF not a number', `${M}#EXTINF:one,\na\n`, /decimal-floating-point/],
  ['bad date', `${M}#EXT-X-PROGRAM-DATE-TIME:yesterday\n#EXTINF:1,\na\n`, /date-time/],
  ['impossible date', `${M}#EXT-X-PROGRAM-DATE-TIME:2026-13-45T99:00:00Z\n#EXTINF:1,\na\n`, /date-time/],
  ['map without URI', `${M}#EXT-X-MAP:BYTERANGE="1@0"\n`, /lacks URI/],
  ['unquoted URI', `${M}#EXT-X-MAP:URI=init.mp4\n`, /quoted-string/],
  ['unterminated quote', `${M}#EXT-X-PART:DURATION=1,URI="p\n`, /unterminated/],
  ['attribute given twice', `${M}#EXT-X-PART:DURATION=1,DURATION=1,URI="p"\n`, /given twice/],
  ['lower-case attribute', `${M}#EXT-X-PART:duration=1,URI="p"\n`, /attribute name expected/],
  ['trailing comma', `${M}#EXT-X-PART:DURATION=1,URI="p",\n`, /trailing ","/],
  ['empty value', `${M}#EXT-X-PART:DURATION=,URI="p"\n`, /bad value/],
  ['bad YES/NO', `${M}#EXT-X-PART:DURATION=1,URI="p",INDEPENDENT=yes\n`, /one of YES, NO/],
  ['hint of unknown type', `${M}#EXT-X-PRELOAD-HINT:TYPE=SEGMENT,URI="p"\n`, /one of PART, MAP/],
  ['hint without type', `${M}#EXT-X-PRELOAD-HINT:URI="p"\n`, /lacks TYPE/],
  ['skip without count', `${M}#EXT-X-SKIP:X=1\n`, /lacks SKIPPED-SEGMENTS/],
  [
    'variant in a media playlist',
    `${M}#EXT-X-STREAM-INF:BANDWIDTH=1\na\n#EXTINF:1,\nb\n`,
    /in a multivariant/,
  ],
  ['variant without URI', `${V}#EXT-X-STREAM-INF:BANDWIDTH=1\n`, /without a URI/],
  [
    'variant followed by a variant',
    `${V}#EXT-X-STREAM-INF:BANDWIDTH=1\n#EXT-X-STREAM-INF:BANDWIDTH=2\nb\n`,
    /without a URI/,
  ],
  ['variant without bandwidth', `${V}#EXT-X-STREAM-INF:CODECS="a"\nv\n`, /lacks BANDWIDTH/],
  ['bad resolution', `${V}#EXT-X-STREAM-INF:BANDWIDTH=1,RESOLUTION=big\nv\n`, /decimal-resolution/],
  [
    'URI before any variant',
    `${V}#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="n"\nv\n`,
    /URI without EXT-X-STREAM-INF/,
  ],
  ['rendition of unknown type', `${V}#EXT-X-MEDIA:TYPE=SOUND,GROUP-ID="a",NAME="n"\n`, /one of AUDIO/],
  [
    'renditions but no variant',
    `${V}#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="a",NAME="n"\n`,
    /without EXT-X-STREAM-INF/,
  ],
  ['duration too large to write back', `${M}#EXTINF:999999999999999.99,\na\n`, /decimal-floating-point/],
  [
    'closed captions neither quoted nor NONE',
    `${V}#EXT-X-STREAM-INF:BANDWIDTH=1,CLOSED-CAPTIONS=cc\nv\n`,
    /NONE/,
  ],
];

function assertRefused(text: string, pattern: RegExp, opts?: Parameters<typeof parsePlaylist>[1]): void {
  assert.throws(
    () => parsePlaylist(text, opts),
    (e: unknown) => isCorralError(e, 'HLS_PARSE') && pattern.test(e.message) && !e.recoverable,
  );
}

describe('the parser refuses bad input with HLS_PARSE', () => {
  for (const [name, text, pattern] of BAD) it(name, () => assertRefused(text, pattern));

  it('a media playlist where a multivariant one is expected, and the other way round', () => {
    assert.throws(
      () => parseMultivariantPlaylist(`${M}#EXTINF:1,\na\n`),
      /multivariant playlist was expected/,
    );
    assert.throws(
      () => parseMediaPlaylist(`${V}#EXT-X-STREAM-INF:BANDWIDTH=1\nv\n`),
      /media playlist was expected/,
    );
  });

  it('not a string at all', () => {
    assertRefused(Buffer.from('#EXTM3U') as unknown as string, /not text/);
  });
});

describe('input limits', () => {
  it('bounds the bytes, counting UTF-8 and not UTF-16 units', () => {
    const limits = { ...DEFAULT_LIMITS, maxBytes: 64 };
    const seg = '#EXTINF:1,\n' + 'ü'.repeat(20) + '\n';
    assert.doesNotThrow(() => parsePlaylist(M + '#' + 'x'.repeat(64 - M.length - 1), limits));
    assert.equal((M + seg).length, 64, 'fits in UTF-16 units');
    assertRefused(M + seg, /longer than 64 bytes/, limits);
    assertRefused('#EXTM3U\n' + 'x'.repeat(DEFAULT_LIMITS.maxBytes), /longer than/);
  });

  it('bounds the lines, blank ones included', () => {
    const limits = { ...DEFAULT_LIMITS, maxLines: 10 };
    assert.doesNotThrow(() => parsePlaylist(M + '\n'.repeat(7), limits));
    assertRefused(M + '\n'.repeat(9), /more than 10 lines/, limits);
    assertRefused('#EXTM3U\n' + '\n'.repeat(DEFAULT_LIMITS.maxLines), /more than/);
  });

  it('bounds the attributes of one tag', () => {
    const limits = { ...DEFAULT_LIMITS, maxAttributes: 4 };
    const attrs = (n: number) => Array.from({ length: n }, (_, i) => `X${i}=1`).join(',');
    assert.doesNotThrow(() => parsePlaylist(`${M}#EXT-X-PART:DURATION=1,URI="p",${attrs(2)}\n`, limits));
    assertRefused(`${M}#EXT-X-PART:DURATION=1,URI="p",${attrs(3)}\n`, /more than 4 attributes/, limits);
  });

  it('cuts echoed input short and escapes it', () => {
    const long = 'a'.repeat(500) + '\u0007';
    assert.throws(
      () => parsePlaylist(`${M}${long}\n`),
      (e: Error) => e.message.length < 200 && !e.message.includes('\u0007'),
    );
  });
});

test('a new session in the open segment: DISCONTINUITY and MAP before its parts, both ways', () => {
  const text = [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-PART-INF:PART-TARGET=0.334',
    '#EXT-X-MEDIA-SEQUENCE:7',
    '#EXT-X-DISCONTINUITY-SEQUENCE:0',
    '#EXT-X-MAP:URI="init-0.mp4"',
    '#EXTINF:2.000,',
    'seg-7.m4s',
    '#EXT-X-DISCONTINUITY',
    '#EXT-X-MAP:URI="init-1.mp4"',
    '#EXT-X-PART:DURATION=0.334,URI="part-8-0.m4s",INDEPENDENT=YES',
    '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-8-1.m4s"',
    '',
  ].join('\n');
  const p = parsePlaylist(text);
  assert.equal(p.kind, 'media');
  if (p.kind !== 'media') return;
  assert.deepEqual(p.openSegment, { discontinuity: true, map: 'init-1.mp4' });
  assert.equal(renderPlaylist(p), text);
});
