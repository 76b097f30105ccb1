import { test } from 'node:test';
import assert from 'node:assert/strict';
import { locateFfmpeg } from '../../src/transcode/ffmpeg-path.js';
import { isCorralError } from '../../src/util/errors.js';

test('FFMPEG_PATH pointing nowhere falls through to a usable ffmpeg', () => {
  const loc = locateFfmpeg('', { FFMPEG_PATH: '/nonexistent/ffmpeg', PATH: process.env.PATH });
  assert.notEqual(loc.source, 'FFMPEG_PATH');
  assert.match(loc.version, /\S/);
});

test('a configured path wins when it works', () => {
  const found = locateFfmpeg('', { PATH: process.env.PATH });
  const loc = locateFfmpeg(found.path, { FFMPEG_PATH: '/nonexistent/ffmpeg', PATH: process.env.PATH });
  assert.equal(loc.source, 'config');
  assert.equal(loc.path, found.path);
});

test('the error for a broken configured binary names what was tried and how to install', () => {
  // With an empty PATH, only the packaged binary can answer; either way a bad config is skipped.
  try {
    const loc = locateFfmpeg('/bin/false', { PATH: '' });
    assert.equal(loc.source, 'npm package');
  } catch (e) {
    assert.ok(isCorralError(e, 'FFMPEG_NOT_FOUND'));
    assert.match((e as Error).message, /config \(\/bin\/false\)/);
    assert.match((e as Error).message, /apt-get install ffmpeg/);
  }
});
