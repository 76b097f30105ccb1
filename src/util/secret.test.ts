import { test } from 'node:test';
import assert from 'node:assert/strict';
import { secretDigest, secretMatches } from './secret.js';

test('secretMatches: any accepted secret, nothing else, never a missing one', () => {
  const accepted = [secretDigest('old'), secretDigest('new')];
  assert.equal(secretMatches('old', accepted), true);
  assert.equal(secretMatches('new', accepted), true);
  assert.equal(secretMatches('ne', accepted), false);
  assert.equal(secretMatches('', accepted), false);
  assert.equal(secretMatches(undefined, accepted), false);
  assert.equal(secretMatches(undefined, [secretDigest('')]), false, 'absent is not the empty secret');
  assert.equal(secretMatches('x', []), false);
});
