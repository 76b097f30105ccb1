import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CorralError } from '../util/errors.js';
import { ERROR_ACTIONS, pushProblem, transcoderProblem } from './error-actions.js';

test('every component error has one action', () => {
  assert.deepEqual(Object.fromEntries(Object.entries(ERROR_ACTIONS).map(([k, v]) => [k, v.action])), {
    transcoderSpawnFailed: 'dropRenditions',
    transcoderCrashed: 'restart',
    transcoderFailed: 'dropRenditions',
    pushFailed: 'logAndContinue',
    originUnreachable: 'republish',
    originRestarted: 'republish',
    originRejected: 'endStream',
    badSourceMedia: 'endStream',
    badTranscodedMedia: 'logAndContinue',
  });
});

test('a refused token rejects the packager; retries run out on an unreachable origin; else one push', () => {
  assert.equal(pushProblem(new CorralError('PUSH_UNAUTHORIZED', '401')), 'originRejected');
  assert.equal(
    pushProblem(new CorralError('PUSH_FAILED', '503', { recoverable: true })),
    'originUnreachable',
  );
  assert.equal(pushProblem(new CorralError('PUSH_FAILED', 'origin answered 400')), 'pushFailed');
  assert.equal(pushProblem(new CorralError('BAD_REQUEST', 'bad playlist state')), 'pushFailed');
  assert.equal(pushProblem(new Error('socket hang up')), 'pushFailed');
});

test('transcoder reports map onto their rows', () => {
  assert.equal(transcoderProblem('spawnFailed'), 'transcoderSpawnFailed');
  assert.equal(transcoderProblem('crashed'), 'transcoderCrashed');
  assert.equal(transcoderProblem('failed'), 'transcoderFailed');
});
