const MONTHS: Readonly<Record<string, number>> = {
  Jan: 0,
  Feb: 1,
  Mar: 2,
  Apr: 3,
  May: 4,
  Jun: 5,
  Jul: 6,
  Aug: 7,
  Sep: 8,
  Oct: 9,
  Nov: 10,
  Dec: 11,
};

const IMF_FIXDATE = /^[A-Z][a-z]{2}, (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const RFC850 = /^[A-Z][a-z]+, (\d{2})-([A-Z][a-z]{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}) GMT$/;
const ASCTIME = /^[A-Z][a-z]{2} ([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2}) (\d{4})$/;

function utc(y: number, mon: string, d: number, h: string, mi: string, s: string): number {
  const m = MONTHS[mon];
  if (m === undefined || d < 1 || d > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 60) return NaN;
  return Date.UTC(y, m, d, Number(h), Number(mi), Number(s));
}

/**
 * An HTTP-date (RFC 9110 5.6.7) in ms since the epoch, or NaN. All three formats are accepted, as
 * recipients must; all are UTC, which Date.parse does not assume for asctime (it reads local time)
 * and which it would happily extend to any text it can guess at.
 */
export function parseHttpDate(value: string | undefined): number {
  if (value === undefined) return NaN;
  const v = value.trim();
  let m = IMF_FIXDATE.exec(v);
  if (m !== null) return utc(Number(m[3]), m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  m = RFC850.exec(v);
  if (m !== null) {
    // Two-digit years (5.6.7): one that looks more than 50 years ahead is in the past century.
    const yy = Number(m[3]);
    const thisYear = new Date().getUTCFullYear();
    let y = Math.floor(thisYear / 100) * 100 + yy;
    if (y > thisYear + 50) y -= 100;
    return utc(y, m[2]!, Number(m[1]), m[4]!, m[5]!, m[6]!);
  }
  m = ASCTIME.exec(v);
  if (m !== null) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), m[3]!, m[4]!, m[5]!);
  return NaN;
}

let formattedSecond = NaN;
let formatted = '';

/**
 * `ms` as an IMF-fixdate (RFC 9110 5.6.7), the one form a sender may generate. The last second
 * formatted is kept: a Date field on every answer costs one comparison, not a Date object.
 */
export function formatHttpDate(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== formattedSecond) {
    formattedSecond = sec;
    formatted = new Date(sec * 1000).toUTCString();
  }
  return formatted;
}
