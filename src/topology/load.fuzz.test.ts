import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { parse as parseYaml, stringify } from 'yaml';
import { parseTopology } from './load.js';

const RUNS = 400;
const EXAMPLE = readFileSync(new URL('../../examples/two-regions.yaml', import.meta.url), 'utf8');

/** A topology file that is wrong in any way yields problems with paths, never an exception. */
function problemsOrTopology(text: string): void {
  const r = parseTopology(text);
  if (r.ok) return;
  assert.ok(r.problems.length > 0);
  for (const p of r.problems) assert.equal(typeof p.message, 'string');
}

test('regression: an alias to no anchor is a problem, not an exception', () => {
  assert.equal(parseTopology('*-').ok, false);
  assert.equal(parseTopology('a: &x [*x]').ok, false);
});

test(`fuzz: topology files, random text (${RUNS} cases)`, () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (text) => problemsOrTopology(text)),
    { numRuns: RUNS },
  );
});

test(`fuzz: the example topology with random values swapped in (${RUNS} cases)`, () => {
  assert.equal(parseTopology(EXAMPLE).ok, true, 'the example itself is valid');
  const base = parseYaml(EXAMPLE) as unknown;
  const paths: Array<Array<string | number>> = [];
  const walk = (v: unknown, at: Array<string | number>): void => {
    paths.push(at);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...at, i]));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...at, k]);
  };
  walk(base, []);
  const value = fc.oneof(
    fc.integer({ min: -5, max: 70000 }),
    fc.string({ maxLength: 12 }),
    fc.boolean(),
    fc.constant(null),
    fc.constant([]),
    fc.constant({}),
    fc.constantFrom('0.0.0.0', '127.0.0.1:8080', '10.0.0.0/33', 'http://x', 'eu', 'us'),
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(paths.length - 1), value), { minLength: 1, maxLength: 4 }),
      (edits) => {
        const doc = structuredClone(base) as Record<string, unknown>;
        for (const [i, v] of edits) {
          const path = paths[i]!;
          if (path.length === 0) continue;
          let node: unknown = doc;
          for (const k of path.slice(0, -1)) node = (node as Record<string | number, unknown>)?.[k];
          if (node && typeof node === 'object') (node as Record<string | number, unknown>)[path.at(-1)!] = v;
        }
        problemsOrTopology(stringify(doc));
      },
    ),
    { numRuns: RUNS },
  );
});
