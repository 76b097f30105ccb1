import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrHolds, parseCidr, regionOf, type Cidr } from './cidr.js';

function cidr(text: string): Cidr {
  const c = parseCidr(text);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

test('CIDR ranges hold exactly their addresses, IPv4, IPv6 and IPv4-mapped IPv6', () => {
  const cases: [string, string, boolean][] = [
    ['10.1.0.0/16', '10.1.255.255', true],
    ['10.1.0.0/16', '10.2.0.0', false],
    ['10.1.0.0/16', '::ffff:10.1.2.3', true],
    ['10.1.0.0/16', '::ffff:10.2.2.3', false],
    ['192.0.2.7/32', '192.0.2.7', true],
    ['192.0.2.7/32', '192.0.2.8', false],
    ['0.0.0.0/0', '203.0.113.9', true],
    ['2001:db8:1::/48', '2001:db8:1:ffff::1', true],
    ['2001:db8:1::/48', '2001:db8:2::1', false],
    ['2001:db8:1::/48', '10.1.0.1', false],
    ['10.1.0.0/16', 'not-an-address', false],
  ];
  for (const [range, address, holds] of cases)
    assert.equal(cidrHolds(cidr(range), address), holds, `${range} holds ${address}`);
});

test('malformed ranges are refused with the reason', () => {
  assert.equal(parseCidr('10.1.0.0'), '"10.1.0.0" is not CIDR (ADDRESS/PREFIX)');
  assert.equal(parseCidr('10.1.0/16'), '"10.1.0" is not an IP address');
  assert.equal(parseCidr('10.1.0.0/33'), 'prefix of "10.1.0.0/33" must be 0-32');
  assert.equal(parseCidr('2001:db8::/129'), 'prefix of "2001:db8::/129" must be 0-128');
  assert.equal(parseCidr('10.1.0.0/x'), 'prefix of "10.1.0.0/x" must be 0-32');
});

test('the region of an address: the longest matching prefix wins, none matches -> undefined', () => {
  const regions = [
    { name: 'eu', ranges: [cidr('10.0.0.0/8')] },
    { name: 'paris', ranges: [cidr('10.33.0.0/16'), cidr('2001:db8:33::/48')] },
    { name: 'us', ranges: [cidr('10.2.0.0/16')] },
  ];
  assert.equal(regionOf(regions, '10.9.9.9'), 'eu');
  assert.equal(regionOf(regions, '10.33.1.1'), 'paris');
  assert.equal(regionOf(regions, '::ffff:10.2.0.1'), 'us');
  assert.equal(regionOf(regions, '2001:db8:33::5'), 'paris');
  assert.equal(regionOf(regions, '127.0.0.1'), undefined);
});
