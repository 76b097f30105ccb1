import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressGroup, peerAddress } from './address.js';

test('address: IPv4-mapped IPv6 is the IPv4 address for takeover', () => {
  assert.equal(peerAddress('::ffff:10.0.0.1'), '10.0.0.1');
  assert.equal(peerAddress('10.0.0.1'), '10.0.0.1');
  assert.equal(peerAddress('2001:db8::1'), '2001:db8::1');
  assert.equal(peerAddress(undefined), 'unknown');
});

test('address: the per-address limit counts IPv4 exactly and IPv6 by /64', () => {
  const cases: [string | undefined, string][] = [
    ['10.0.0.1', '10.0.0.1'],
    ['::ffff:10.0.0.1', '10.0.0.1'],
    // The same mapped address in hex groups, or spelled out in full.
    ['::ffff:a00:1', '10.0.0.1'],
    ['0:0:0:0:0:ffff:0a00:0001', '10.0.0.1'],
    ['2001:db8:1:2::1', '2001:db8:1:2::/64'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['2001:0DB8:0001:0002:0000:0000:0000:0009', '2001:db8:1:2::/64'],
    ['2001:db8:1:3::1', '2001:db8:1:3::/64'],
    ['2001:db8::', '2001:db8:0:0::/64'],
    ['2001:db8::1:2:3:4', '2001:db8:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    [undefined, 'unknown'],
  ];
  for (const [raw, group] of cases) assert.equal(addressGroup(raw), group, String(raw));
  // Two addresses of one /64 share a count; the neighbouring /64 does not.
  assert.equal(addressGroup('2001:db8:1:2::1'), addressGroup('2001:db8:1:2:ffff::7'));
  assert.notEqual(addressGroup('2001:db8:1:2::1'), addressGroup('2001:db8:1:3::1'));
});
