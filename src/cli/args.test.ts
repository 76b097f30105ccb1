import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flagsToOverrides, parseArgs } from './args.js';

test('--set may repeat (corral relay --set ingest.relay.primary=... --set ingest.relay.backup=...)', () => {
  const { flags } = parseArgs([
    'relay',
    '--set',
    'ingest.relay.primary=rtmp://a:1935/live',
    '--set=ingest.relay.backup=rtmp://b:1935',
    '--log-level',
    'warn',
  ]);
  assert.deepEqual(flagsToOverrides(flags, { 'log-level': { key: 'logLevel', help: '' } }), {
    'ingest.relay.primary': 'rtmp://a:1935/live',
    'ingest.relay.backup': 'rtmp://b:1935',
    logLevel: 'warn',
  });
});
