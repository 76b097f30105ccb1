import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { formatHttpDate, parseHttpDate } from './date.js';

describe('parseHttpDate (RFC 9110 5.6.7)', () => {
  const t = Date.UTC(1994, 10, 6, 8, 49, 37);
  const cases: Array<[string, string | undefined, number]> = [
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT', t],
    ['obsolete RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT', t],
    ['asctime is UTC, not local time', 'Sun Nov  6 08:49:37 1994', t],
    ['asctime with a two-digit day', 'Sun Nov 16 08:49:37 1994', t + 10 * 86_400_000],
    ['surrounding whitespace', '  Sun, 06 Nov 1994 08:49:37 GMT ', t],
    ['other zone is not an HTTP-date', 'Sun, 06 Nov 1994 08:49:37 PST', NaN],
    ['ISO 8601 is not an HTTP-date', '1994-11-06T08:49:37Z', NaN],
    ['Expires: 0 is invalid', '0', NaN],
    ['bad month', 'Sun, 06 Foo 1994 08:49:37 GMT', NaN],
    ['bad hour', 'Sun, 06 Nov 1994 25:49:37 GMT', NaN],
    ['absent', undefined, NaN],
  ];
  for (const [name, value, want] of cases) {
    it(name, () => assert.deepEqual(parseHttpDate(value), want));
  }
});

test('formatHttpDate writes IMF-fixdate to the second, and parseHttpDate reads it back', () => {
  const ms = Date.UTC(2026, 10, 29, 23, 5, 9, 750);
  assert.equal(formatHttpDate(ms), 'Sun, 29 Nov 2026 23:05:09 GMT');
  assert.equal(parseHttpDate(formatHttpDate(ms)), Date.UTC(2026, 10, 29, 23, 5, 9));
  // The same second again (kept), then another one.
  assert.equal(formatHttpDate(ms + 100), 'Sun, 29 Nov 2026 23:05:09 GMT');
  assert.equal(formatHttpDate(ms + 1_000), 'Sun, 29 Nov 2026 23:05:10 GMT');
});
