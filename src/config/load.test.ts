import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './load.js';
import { isCorralError } from '../util/errors.js';

test('defaults are the documented loopback-friendly ports', () => {
  const c = loadConfig();
  assert.equal(c.rtmp.port, 1935);
  assert.equal(c.rtmps.port, 1936);
  assert.equal(c.cache.port, 8080);
  assert.equal(c.package.segmentTargetS, 1);
});

test('file < env < flags, with nested env keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ rtmp: { port: 2000 }, cache: { port: 9000 }, maxStreams: 5 }));
  const c = loadConfig({
    file,
    env: { CORRAL_RTMP__PORT: '3000', CORRAL_PACKAGE__WINDOW_SEGMENTS: '9', HOME: '/x' },
    overrides: { 'cache.port': 9100 },
  });
  assert.equal(c.rtmp.port, 3000);
  assert.equal(c.cache.port, 9100);
  assert.equal(c.maxStreams, 5);
  assert.equal(c.package.windowSegments, 9);
});

test('bad values fail fast with every problem listed', () => {
  assert.throws(
    () => loadConfig({ env: { CORRAL_RTMP__PORT: '70000', CORRAL_PACKAGE__WINDOW_SEGMENTS: '1' } }),
    (e: unknown) =>
      isCorralError(e, 'CONFIG_INVALID') && /rtmp\.port/.test(e.message) && /windowSegments/.test(e.message),
  );
});

test('unknown keys are refused, not ignored', () => {
  assert.throws(() => loadConfig({ env: { CORRAL_RTMP__PROT: '1' } }), /unknown configuration variable/);
  assert.throws(() => loadConfig({ overrides: { 'rtmp.prot': 1 } }), /unknown configuration key/);
  const dir = mkdtempSync(join(tmpdir(), 'corral-cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ rtmp: { prot: 1 } }));
  assert.throws(() => loadConfig({ file }), /CONFIG_INVALID|invalid configuration/);
  writeFileSync(file, '{nope');
  assert.throws(() => loadConfig({ file }), /not JSON/);
});

test('heap growth: 100 % by default, 0 hands it back to V8, beyond 400 % refused', () => {
  assert.equal(loadConfig().heapGrowthPercent, 100);
  assert.equal(loadConfig({ env: { CORRAL_HEAP_GROWTH_PERCENT: '0' } }).heapGrowthPercent, 0);
  assert.throws(
    () => loadConfig({ env: { CORRAL_HEAP_GROWTH_PERCENT: '1000' } }),
    (e: unknown) => isCorralError(e, 'CONFIG_INVALID') && /heapGrowthPercent/.test(e.message),
  );
});
