import { describe, expect, it } from 'vitest';
import {
  direction,
  formatDrawdown,
  formatMarketClock,
  formatMarketMinute,
  formatMoney,
  formatRatio,
  formatSignedPercent,
  MISSING,
  returnDirection,
} from '../../../web/assets/format.js';
import { seriesTrend, sparklinePoints } from '../../../web/assets/sparkline.js';

describe('format', () => {
  it('shows dollars, signed returns, drawdown depth and ratios', () => {
    expect(formatMoney(100_542.75)).toBe('$100,542.75');
    expect(formatSignedPercent(0.0542)).toBe('+5.42%');
    expect(formatSignedPercent(-0.0023)).toBe('-0.23%');
    expect(formatSignedPercent(0)).toBe('0.00%');
    expect(formatDrawdown(-0.0542)).toBe('5.42%');
    expect(formatDrawdown(0.0542)).toBe('5.42%');
    expect(formatRatio(1.8549)).toBe('1.85');
    expect(formatRatio(-0.5)).toBe('-0.50');
  });

  it('rounds full-precision figures from the API for display only, and colours a return as it is shown', () => {
    expect(formatSignedPercent(0.0017967658215212)).toBe('+0.18%');
    expect(formatSignedPercent(-3e-7)).toBe('0.00%');
    expect(formatSignedPercent(1.23e-7)).toBe('0.00%');
    expect(formatRatio(-1e-9)).toBe('0.00');
    expect(formatMoney(100_000.0123)).toBe('$100,000.01');
    expect(returnDirection(-3e-7)).toBe('flat');
    expect(returnDirection(1.23e-7)).toBe('flat');
    expect(returnDirection(0.0017967658215212)).toBe('up');
    expect(formatSignedPercent(-0.00006)).toBe('-0.01%');
    expect(returnDirection(-0.00006)).toBe('down');
    expect(returnDirection(null)).toBe('flat');
  });

  it('shows a dash for figures that are not defined yet', () => {
    for (const format of [formatMoney, formatSignedPercent, formatDrawdown, formatRatio, formatMarketClock, formatMarketMinute]) {
      expect(format(null)).toBe(MISSING);
      expect(format(Number.NaN)).toBe(MISSING);
    }
  });

  it('tells time in New York, winter and summer', () => {
    expect(formatMarketClock(Date.parse('2025-11-21T14:31:00Z'))).toBe('09:31');
    expect(formatMarketClock(Date.parse('2025-07-08T20:00:00Z'))).toBe('16:00');
    expect(formatMarketMinute(Date.parse('2025-11-21T14:31:00Z'))).toBe('Nov 21, 09:31 ET');
  });

  it('names the direction of a change', () => {
    expect([direction(0.1), direction(-0.1), direction(0), direction(null)]).toEqual(['up', 'down', 'flat', 'flat']);
  });
});

describe('sparkline geometry', () => {
  it('spans the box: first point at the left edge, highest value at the top, lowest at the bottom', () => {
    expect(sparklinePoints([1, 3, 2], 100, 20, 0)).toBe('0,20 50,0 100,10');
    expect(sparklinePoints([1, 3, 2], 100, 20, 2)).toBe('2,18 50,2 98,10');
  });

  it('draws a flat series through the middle, nothing for fewer than two points, and skips non-numbers', () => {
    expect(sparklinePoints([5, 5, 5], 10, 10, 0)).toBe('0,5 5,5 10,5');
    expect(sparklinePoints([5], 10, 10)).toBe('');
    expect(sparklinePoints([1, Number.NaN, 2], 10, 10, 0)).toBe('0,10 10,0');
  });

  it('reports the change from first to last value', () => {
    const up = seriesTrend([100, 90, 110]);
    expect(up.direction).toBe('up');
    expect(up.change).toBeCloseTo(0.1, 12);
    expect(seriesTrend([100, 95])).toMatchObject({ direction: 'down' });
    expect(seriesTrend([100])).toEqual({ direction: 'flat', change: null });
  });
});
