import type { MediaPlaylist, MediaSegment, MultivariantPlaylist, Part } from './model.js';

/**
 * Playlists shaped like the ones corral serves (the packager's tag set, versions and numbering),
 * as models, for the table, fuzz and agreement tests of this directory. Test support only.
 */

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function parts(msn: number, n: number, lastS = 0.334): Part[] {
  return Array.from({ length: n }, (_, k) => ({
    uri: `part-${msn}-${k}.m4s`,
    durationS: k === n - 1 ? lastS : 0.334,
    independent: k === 0,
  }));
}

/** `extra` may set a field to undefined to leave it out, as the parser does. */
function segment(msn: number, extra: Partial<MediaSegment> = {}): MediaSegment {
  const s: MediaSegment = {
    uri: `seg-${msn}.m4s`,
    durationS: 1.001,
    discontinuity: false,
    gap: false,
    programDateTime: T0 + msn * 1001,
    map: 'init-0.mp4',
    parts: [],
    ...extra,
  };
  for (const k of Object.keys(s) as Array<keyof MediaSegment>) if (s[k] === undefined) delete s[k];
  return s;
}

function media(extra: Partial<MediaPlaylist>): MediaPlaylist {
  return {
    kind: 'media',
    version: 6,
    targetDurationS: 1,
    mediaSequence: 0,
    discontinuitySequence: 0,
    independentSegments: false,
    skippedSegments: 0,
    segments: [],
    openParts: [],
    preloadHints: [],
    endList: false,
    renditionReports: [],
    ...extra,
  };
}

const LL_HEADER = {
  version: 9,
  serverControl: { canBlockReload: true, canSkipUntilS: 6, partHoldBackS: 1.002, holdBackS: 3 },
  partTargetS: 0.334,
} as const;

const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);

export const MEDIA_CORPUS: Record<string, MediaPlaylist> = {
  plain: media({
    mediaSequence: 10,
    discontinuitySequence: 2,
    segments: [
      segment(10),
      segment(11),
      segment(12, { discontinuity: true, map: 'init-1.mp4' }),
      segment(13, { map: 'init-1.mp4' }),
    ],
  }),
  'plain ended': media({
    mediaSequence: 0,
    segments: range(0, 5).map((n) => segment(n, { durationS: 0.968 })),
    endList: true,
  }),
  // Parts only within three target durations of the end, the open segment counted, as the
  // packager lists them: the open segment and the two complete segments before it.
  'low latency': media({
    ...LL_HEADER,
    mediaSequence: 100,
    segments: range(100, 6).map((n) => segment(n, { parts: n >= 104 ? parts(n, 3, 0.333) : [] })),
    openParts: parts(106, 2),
    preloadHints: [{ type: 'PART', uri: 'part-106-2.m4s' }],
    renditionReports: [
      { uri: '../720p/index.m3u8', lastMsn: 106, lastPart: 1 },
      { uri: '../audio/index.m3u8', lastMsn: 106, lastPart: 0 },
    ],
  }),
  'low latency delta update': media({
    ...LL_HEADER,
    mediaSequence: 200,
    skippedSegments: 6,
    segments: range(206, 6).map((n) => segment(n, { parts: n >= 210 ? parts(n, 3) : [] })),
    openParts: parts(212, 1),
    preloadHints: [{ type: 'PART', uri: 'part-212-1.m4s' }],
    renditionReports: [{ uri: '../480p/index.m3u8', lastMsn: 212, lastPart: 0 }],
  }),
  'low latency with a gap and a discontinuity': media({
    ...LL_HEADER,
    mediaSequence: 40,
    discontinuitySequence: 1,
    segments: [
      segment(40),
      segment(41, { gap: true }),
      segment(42, { discontinuity: true, map: 'init-1.mp4' }),
      segment(43, { map: 'init-1.mp4', parts: parts(43, 3) }),
      segment(44, { map: 'init-1.mp4', parts: parts(44, 3) }),
    ],
    openParts: [],
    preloadHints: [{ type: 'PART', uri: 'part-45-0.m4s' }],
  }),
  'low latency ended': media({
    ...LL_HEADER,
    mediaSequence: 7,
    segments: range(7, 5).map((n) => segment(n, { parts: n >= 9 ? parts(n, 3) : [] })),
    endList: true,
    renditionReports: [{ uri: '../720p/index.m3u8', lastMsn: 11, lastPart: 2 }],
  }),
};

/** Tags the model carries that the packager does not write today. */
export const MEDIA_EXTRAS: Record<string, MediaPlaylist> = {
  'every optional attribute': media({
    ...LL_HEADER,
    independentSegments: true,
    serverControl: {
      canBlockReload: true,
      canSkipUntilS: 12,
      canSkipDateRanges: true,
      partHoldBackS: 1,
      holdBackS: 6,
    },
    targetDurationS: 2,
    mediaSequence: 5,
    segments: [
      segment(5, { title: 'first, with a comma', durationS: 2 }),
      segment(6, { programDateTime: undefined, durationS: 2, parts: [{ ...parts(6, 1)[0]!, gap: true }] }),
    ],
    openParts: parts(7, 1),
    preloadHints: [
      { type: 'PART', uri: 'part-7-1.m4s', byteRangeStart: 0, byteRangeLength: 4096 },
      { type: 'MAP', uri: 'init-2.mp4' },
    ],
    renditionReports: [{ uri: '../other/index.m3u8' }],
  }),
};

export const MULTIVARIANT_CORPUS: Record<string, MultivariantPlaylist> = {
  ladder: {
    kind: 'multivariant',
    version: 6,
    independentSegments: false,
    renditions: [],
    variants: [
      {
        uri: 'src/index.m3u8',
        bandwidth: 2_600_000,
        averageBandwidth: 2_400_000,
        codecs: ['avc1.64001f', 'mp4a.40.2'],
        resolution: { width: 1280, height: 720 },
        frameRate: 30,
      },
      {
        uri: '480p/index.m3u8',
        bandwidth: 1_200_000,
        averageBandwidth: 1_100_000,
        codecs: ['avc1.64001e', 'mp4a.40.2'],
        resolution: { width: 854, height: 480 },
        frameRate: 29.97,
      },
      { uri: 'audio/index.m3u8', bandwidth: 130_000, averageBandwidth: 128_000, codecs: ['mp4a.40.2'] },
    ],
  },
  'with renditions': {
    kind: 'multivariant',
    version: 7,
    independentSegments: true,
    renditions: [
      {
        type: 'AUDIO',
        groupId: 'aac',
        name: 'English',
        language: 'en',
        default: true,
        autoselect: true,
        channels: '2',
        uri: 'audio/en.m3u8',
      },
      {
        type: 'AUDIO',
        groupId: 'aac',
        name: 'Deutsch',
        language: 'de',
        default: false,
        autoselect: true,
        uri: 'audio/de.m3u8',
      },
    ],
    variants: [
      {
        uri: 'v/index.m3u8',
        bandwidth: 800_000,
        codecs: ['avc1.4d401e', 'mp4a.40.2'],
        resolution: { width: 640, height: 360 },
        audio: 'aac',
        closedCaptions: 'NONE',
      },
      // RFC 8216 4.3.4.2: once one variant says CLOSED-CAPTIONS=NONE, all must.
      { uri: 'v2/index.m3u8', bandwidth: 400_000, codecs: [], audio: 'aac', closedCaptions: 'NONE' },
    ],
  },
  'with captions': {
    kind: 'multivariant',
    version: 6,
    independentSegments: false,
    renditions: [
      {
        type: 'CLOSED-CAPTIONS',
        groupId: 'cc',
        name: 'CC1',
        default: false,
        autoselect: true,
        instreamId: 'CC1',
      },
    ],
    variants: [{ uri: 'v/index.m3u8', bandwidth: 800_000, codecs: ['avc1.4d401e'], closedCaptions: 'cc' }],
  },
};
