// team.api: copies of parts of a symbol's window, by count, by time range or by New York day.
import { DateUTC, MathMax, NumberIsInteger, ObjectFreeze, RealDate, StringC } from './intrinsics.ts';
import { emptySlice, seriesOf, type BarSlice } from './windows.ts';

// US Eastern time: DST from the second Sunday of March to the first Sunday of November (since 2007).
function nyMidnightUtc(y: number, m: number, d: number): number {
  const firstDow = (month: number) => new RealDate(DateUTC(y, month, 1)).getUTCDay();
  const secondSundayMarch = ((7 - firstDow(2)) % 7) + 8;
  const firstSundayNov = ((7 - firstDow(10)) % 7) + 1;
  const dst = (m > 3 && m < 11) || (m === 3 && d > secondSundayMarch) || (m === 11 && d <= firstSundayNov);
  return DateUTC(y, m - 1, d) + (dst ? 4 : 5) * 3600000;
}
export const api = ObjectFreeze({
  getLastN(symbol: string, n: number): BarSlice {
    const s = seriesOf(symbol);
    if (!NumberIsInteger(n) || n < 0) throw new RangeError('getLastN: n must be a non-negative integer, got ' + StringC(n));
    if (s === undefined) return emptySlice();
    return s.slice(MathMax(s.start, s.end - n), s.end);
  },
  getRange(symbol: string, fromMs: number, toMs: number): BarSlice {
    if (typeof fromMs !== 'number' || typeof toMs !== 'number') throw new TypeError('getRange: fromMs and toMs must be epoch milliseconds');
    const s = seriesOf(symbol);
    if (s === undefined) return emptySlice();
    const from = s.indexAtOrAfter(fromMs);
    const to = MathMax(from, s.indexAtOrAfter(toMs + 1));
    return s.slice(from, to);
  },
  getDay(symbol: string, date: string): BarSlice {
    const match = typeof date === 'string' ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(date) : null;
    if (match === null) throw new TypeError('getDay: date must be a New York calendar date "YYYY-MM-DD", got ' + StringC(date));
    const y = +match[1]!;
    const m = +match[2]!;
    const d = +match[3]!;
    const next = new RealDate(DateUTC(y, m - 1, d + 1));
    const start = nyMidnightUtc(y, m, d);
    const end = nyMidnightUtc(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
    const s = seriesOf(symbol);
    if (s === undefined) return emptySlice();
    const from = s.indexAtOrAfter(start);
    return s.slice(from, MathMax(from, s.indexAtOrAfter(end)));
  },
});
