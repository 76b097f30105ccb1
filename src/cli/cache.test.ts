import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCacheArgs } from './cache.js';

test('corral edge|shield: --listen/--upstream with role defaults from the schema', () => {
  const edge = parseCacheArgs(['--listen', '127.0.0.1:9000', '--upstream', 'http://o:1'], 'edge');
  assert.equal(edge.config.port, 9000);
  assert.equal(edge.config.host, '127.0.0.1');
  assert.equal(edge.config.name, 'edge');
  assert.equal(edge.config.upstream, 'http://o:1');
  const shield = parseCacheArgs(
    ['--listen', ':9001', '--upstream', 'http://o:1', '--hold-timeout-ms', '900'],
    'shield',
  );
  assert.equal(shield.config.name, 'shield');
  assert.equal(shield.config.holdTimeoutMs, 900);
  assert.equal(shield.config.host, '0.0.0.0');
  assert.ok(shield.config.maxBytes > edge.config.maxBytes);
  assert.throws(() => parseCacheArgs(['--listen', 'nope'], 'edge'), /HOST:PORT/);
  assert.throws(() => parseCacheArgs([], 'edge'), /upstream/);
  assert.throws(() => parseCacheArgs(['--upstream', 'http://o:1', '--bogus', '1'], 'edge'), /--bogus/);
});

test('corral edge|shield: --config, CORRAL_* and --set reach them, in that order of precedence', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-cfg-'));
  const file = join(dir, 'c.json');
  writeFileSync(
    file,
    JSON.stringify({
      cache: { upstream: 'http://shield:8082', maxBytes: 64 << 20, name: 'pop-1' },
      shield: { upstream: 'http://origin:8081', workers: 2 },
      logLevel: 'warn',
    }),
  );
  const edge = parseCacheArgs(['--config', file], 'edge', { CORRAL_CACHE__HOLD_TIMEOUT_MS: '1234' });
  assert.equal(edge.config.upstream, 'http://shield:8082');
  assert.equal(edge.config.maxBytes, 64 << 20);
  assert.equal(edge.config.name, 'pop-1');
  assert.equal(edge.config.holdTimeoutMs, 1234);
  assert.equal(edge.logLevel, 'warn');

  const shield = parseCacheArgs(['--config', file, '--set', 'shield.workers=3', '--name', 's1'], 'shield', {
    CORRAL_SHIELD__WORKERS: '4',
  });
  assert.equal(shield.config.upstream, 'http://origin:8081');
  assert.equal(shield.config.workers, 3, '--set beats env beats file');
  assert.equal(shield.config.name, 's1');
  assert.equal(shield.config.port, 8082, 'shield default port');

  // Bad values fail start-up with the path named.
  assert.throws(
    () => parseCacheArgs(['--upstream', 'http://o:1', '--set', 'cache.maxBytes=5'], 'edge'),
    /cache\.maxBytes/,
  );
});
