import { test } from 'node:test';
import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type LoadOptions } from './load.js';
import { isCorralError } from '../util/errors.js';

const RUNS = 600;

/** A config that is wrong in any way must stop start-up with CONFIG_INVALID, nothing else. */
function validOrInvalid(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!isCorralError(e) || e.code !== 'CONFIG_INVALID') throw e;
  }
}

// Real section and key names, so that values of the wrong type reach the validators.
const key = fc.constantFrom(
  'rtmp',
  'ingest',
  'package',
  'origin',
  'cache',
  'shield',
  'transcode',
  'port',
  'maxBytes',
  'segmentTargetS',
  'ladder',
  'freshness',
  'streams',
  'publishKey',
  'maxConnections',
  'logLevel',
  '__proto__',
  'constructor',
  'x',
);
const { json } = fc.letrec((tie) => ({
  json: fc.oneof(
    { depthSize: 'small' },
    fc.integer(),
    fc.double(),
    fc.string({ maxLength: 20 }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('json'), { maxLength: 3 }),
    fc.dictionary(key, tie('json'), { maxKeys: 4 }),
  ),
}));

test(`fuzz: config files (${RUNS} cases): a valid config or CONFIG_INVALID`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-fuzz-'));
  const file = join(dir, 'c.json');
  fc.assert(
    fc.property(
      fc.oneof(
        json,
        fc.string({ maxLength: 60 }).map((s) => ({ raw: s })),
      ),
      (tree) => {
        const text =
          typeof tree === 'object' && tree !== null && 'raw' in tree
            ? String(tree.raw)
            : JSON.stringify(tree);
        writeFileSync(file, text);
        validOrInvalid(() => loadConfig({ file }));
      },
    ),
    { numRuns: RUNS },
  );
});

test(`fuzz: CORRAL_* environment and --set overrides (${RUNS} cases)`, () => {
  const name = fc.constantFrom(
    'CORRAL_RTMP__PORT',
    'CORRAL_CACHE__MAX_BYTES',
    'CORRAL_PACKAGE__STREAMS',
    'CORRAL_TRANSCODE__LADDER',
    'CORRAL_LOG_LEVEL',
    'CORRAL_NOPE',
    'CORRAL___',
    'CORRAL_ORIGIN__',
  );
  fc.assert(
    fc.property(
      fc.dictionary(name, fc.string({ maxLength: 30 }), { maxKeys: 3 }),
      fc.dictionary(fc.constantFrom('cache.port', 'package.windowSegments', 'nope.x', 'apps'), json, {
        maxKeys: 2,
      }),
      (env, overrides) =>
        validOrInvalid(() =>
          loadConfig({ env: { ...env }, overrides: { ...overrides } as LoadOptions['overrides'] }),
        ),
    ),
    { numRuns: RUNS },
  );
});
