import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import HLS from 'hls-parser';
import type { MediaPlaylist, MultivariantPlaylist } from './model.js';
import { parseMediaPlaylist, parseMultivariantPlaylist } from './parse.js';
import { renderMediaPlaylist, renderMultivariantPlaylist } from './render.js';
import { MEDIA_CORPUS, MEDIA_EXTRAS, MULTIVARIANT_CORPUS } from './test-corpus.js';

/**
 * Our parser against an independent one (hls-parser, strict mode) on playlists our renderer
 * writes: both must read the same numbers, so a bug shared by our renderer and our parser
 * cannot hide behind a round trip that agrees with itself.
 */

// The corpus lists parts as the packager does; test/package/hls-parser.test.ts holds the
// packager's own output to the same parser.
const MEDIA = Object.entries({ ...MEDIA_CORPUS, ...MEDIA_EXTRAS }).map(
  ([name, m]) => [name, renderMediaPlaylist(m)] as const,
);

before(() => HLS.setOptions({ strictMode: true, silent: true, allowClosedCaptionsNone: true }));

describe('agreement with hls-parser: media playlists', () => {
  for (const [name, text] of MEDIA) {
    it(name, () => {
      const ours = parseMediaPlaylist(text);
      const theirs = HLS.parse(text) as HLS.types.MediaPlaylist;
      assert.equal(theirs.isMasterPlaylist, false);
      compareMedia(ours, theirs);
    });
  }
});

function compareMedia(ours: MediaPlaylist, theirs: HLS.types.MediaPlaylist): void {
  assert.equal(theirs.targetDuration, ours.targetDurationS, 'target duration');
  assert.equal(theirs.mediaSequenceBase ?? 0, ours.mediaSequence, 'media sequence');
  assert.equal(theirs.discontinuitySequenceBase ?? 0, ours.discontinuitySequence, 'discontinuity sequence');
  assert.equal(theirs.version, ours.version, 'version');
  assert.equal(theirs.endlist, ours.endList, 'ENDLIST');
  assert.equal(theirs.skip, ours.skippedSegments, 'skipped segments');
  // hls-parser lists the open segment's parts (and a hint) as one more segment without a URI.
  const complete = theirs.segments.filter((s) => s.uri !== '');
  assert.equal(complete.length, ours.segments.length, 'segment count');
  ours.segments.forEach((s, i) => {
    const t = complete[i]!;
    assert.equal(t.uri, s.uri, `segment ${i} URI`);
    assert.equal(t.duration, s.durationS, `segment ${i} duration`);
    assert.equal(t.mediaSequenceNumber, ours.mediaSequence + ours.skippedSegments + i, `segment ${i} number`);
    assert.equal(t.discontinuity ?? false, s.discontinuity, `segment ${i} discontinuity`);
    assert.equal(t.gap ?? false, s.gap, `segment ${i} gap`);
    assert.equal(t.title ?? '', s.title ?? '', `segment ${i} title`);
    assert.equal(t.map?.uri, s.map, `segment ${i} map`);
    assert.equal(t.programDateTime?.getTime(), s.programDateTime, `segment ${i} date`);
    assert.deepEqual(
      t.parts.map((p) => [p.uri, p.duration, p.independent ?? false, p.gap ?? false]),
      s.parts.map((p) => [p.uri, p.durationS, p.independent, p.gap ?? false]),
      `segment ${i} parts`,
    );
  });
  const trailing = theirs.segments.filter((s) => s.uri === '').flatMap((s) => s.parts);
  assert.deepEqual(
    trailing.filter((p) => !p.hint).map((p) => [p.uri, p.duration, p.independent ?? false]),
    ours.openParts.map((p) => [p.uri, p.durationS, p.independent]),
    'open parts',
  );
  assert.deepEqual(
    trailing.filter((p) => p.hint).map((p) => p.uri),
    ours.preloadHints.filter((h) => h.type === 'PART').map((h) => h.uri),
    'part hint',
  );
  assert.equal(theirs.partTargetDuration, ours.partTargetS, 'part target');
  const sc = ours.serverControl;
  if (sc !== undefined) {
    const ll = theirs.lowLatencyCompatibility!;
    assert.equal(ll.canBlockReload, sc.canBlockReload, 'CAN-BLOCK-RELOAD');
    assert.equal(ll.canSkipUntil, sc.canSkipUntilS, 'CAN-SKIP-UNTIL');
    assert.equal(ll.holdBack, sc.holdBackS, 'HOLD-BACK');
    assert.equal(ll.partHoldBack, sc.partHoldBackS, 'PART-HOLD-BACK');
  }
  // Where a report leaves LAST-MSN or LAST-PART out, hls-parser fills in this playlist's own
  // position; the model keeps them absent, so only the ones written are compared.
  assert.deepEqual(
    theirs.renditionReports.map((r, i) => {
      const o = ours.renditionReports[i];
      return [
        r.uri,
        o?.lastMsn === undefined ? undefined : r.lastMSN,
        o?.lastPart === undefined ? undefined : r.lastPart,
      ];
    }),
    ours.renditionReports.map((r) => [r.uri, r.lastMsn, r.lastPart]),
    'rendition reports',
  );
}

describe('agreement with hls-parser: multivariant playlists', () => {
  for (const [name, model] of Object.entries(MULTIVARIANT_CORPUS)) {
    it(name, () => {
      const text = renderMultivariantPlaylist(model);
      const ours = parseMultivariantPlaylist(text);
      const theirs = HLS.parse(text) as HLS.types.MasterPlaylist;
      assert.equal(theirs.isMasterPlaylist, true);
      compareMultivariant(ours, theirs);
    });
  }
});

function compareMultivariant(ours: MultivariantPlaylist, theirs: HLS.types.MasterPlaylist): void {
  assert.equal(theirs.variants.length, ours.variants.length, 'variant count');
  assert.equal(theirs.independentSegments, ours.independentSegments, 'INDEPENDENT-SEGMENTS');
  ours.variants.forEach((v, i) => {
    const t = theirs.variants[i]!;
    assert.equal(t.uri, v.uri, `variant ${i} URI`);
    assert.equal(t.bandwidth, v.bandwidth, `variant ${i} bandwidth`);
    assert.equal(t.averageBandwidth, v.averageBandwidth, `variant ${i} average bandwidth`);
    assert.deepEqual(t.codecs ? t.codecs.split(',') : [], v.codecs, `variant ${i} codecs`);
    assert.deepEqual(t.resolution, v.resolution, `variant ${i} resolution`);
    assert.equal(t.frameRate, v.frameRate, `variant ${i} frame rate`);
    // hls-parser resolves group ids to the renditions themselves.
    const audio = ours.renditions.filter((r) => r.type === 'AUDIO' && r.groupId === v.audio);
    assert.deepEqual(
      t.audio.map((r) => [r.groupId, r.name, r.language, r.uri, r.isDefault ?? false, r.autoselect ?? false]),
      audio.map((r) => [r.groupId, r.name, r.language, r.uri, r.default, r.autoselect]),
      `variant ${i} audio renditions`,
    );
    const cc = ours.renditions.filter((r) => r.type === 'CLOSED-CAPTIONS' && r.groupId === v.closedCaptions);
    assert.deepEqual(
      t.closedCaptions.map((r) => [r.groupId, r.name, r.instreamId]),
      cc.map((r) => [r.groupId, r.name, r.instreamId]),
      `variant ${i} caption renditions`,
    );
  });
}
