import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_PATH_LENGTH, parseRequestPath, pathProblem } from './paths.js';

const RUNS = 5000;

// Pieces that attackers combine: encodings of dots, slashes and backslashes, control characters,
// bad percent-escapes, unicode.
const piece = fc.constantFrom(
  '/',
  '//',
  '.',
  '..',
  '%2e',
  '%2E%2e',
  '%2f',
  '%5c',
  '\\',
  '%00',
  '%',
  '%zz',
  '?',
  '#',
  'live',
  'seg-1.m4s',
  'é',
  '%C3%A9',
  '\u0000',
  '\u202e',
);
const target = fc.oneof(
  fc.array(piece, { maxLength: 12 }).map((a) => a.join('')),
  fc.string({ maxLength: 80 }),
  fc.array(piece, { maxLength: 6 }).map((a) => '/' + a.join('')),
);

test(`fuzz: request targets (${RUNS} cases): a clean object path or a problem, never an exception`, () => {
  fc.assert(
    fc.property(target, fc.boolean(), (raw, prefix) => {
      const r = parseRequestPath(raw, { prefix });
      if ('path' in r) {
        // What comes out is safe to use as an object name: checked again, no traversal left.
        assert.equal(pathProblem(r.path, { prefix }), undefined);
        assert.ok(r.path.length <= MAX_PATH_LENGTH);
        assert.ok(!r.path.split('/').some((s) => s === '..' || s === '.'));
        // eslint-disable-next-line no-control-regex
        assert.ok(!/[\\\u0000-\u001f]/.test(r.path));
      } else {
        assert.equal(typeof r.problem, 'string');
      }
    }),
    { numRuns: RUNS },
  );
});
