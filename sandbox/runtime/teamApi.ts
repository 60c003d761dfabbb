// team.api: copies of parts of a symbol's window, by count, by time range or by New York day.
import { MathMax, NumberIsInteger, ObjectFreeze, StringC } from './intrinsics.ts';
import { daysOfDate, newYorkMidnight } from './newYorkRules.ts';
import { emptySlice, seriesOf, type BarSlice } from './windows.ts';

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
    const days = daysOfDate(+match[1]!, +match[2]!, +match[3]!);
    const start = newYorkMidnight(days);
    const end = newYorkMidnight(days + 1);
    const s = seriesOf(symbol);
    if (s === undefined) return emptySlice();
    const from = s.indexAtOrAfter(start);
    return s.slice(from, MathMax(from, s.indexAtOrAfter(end)));
  },
});
