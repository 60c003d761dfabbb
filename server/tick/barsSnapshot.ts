/**
 * The bars of a minute as stored with its tick: a canonical form (symbols sorted, one array per bar),
 * its SHA-256 (the proof that every team of the minute saw the same snapshot), and the prices carried
 * forward from earlier minutes for symbols without a bar.
 */
import { createHash } from 'node:crypto';
import type { Bar } from '../../data/market/bar.ts';
import { byCodeUnits } from '../codeUnitOrder.ts';

/** `[open, high, low, close, volume]` in dollars and shares, as the source gave them. */
export type StoredBar = [open: number, high: number, low: number, close: number, volume: number];
export type StoredBars = Record<string, StoredBar>;

export function encodeBars(bars: ReadonlyMap<string, Bar>): StoredBars {
  const out: StoredBars = {};
  for (const symbol of [...bars.keys()].sort(byCodeUnits)) {
    const bar = bars.get(symbol)!;
    out[symbol] = [bar.open, bar.high, bar.low, bar.close, bar.volume];
  }
  return out;
}

/** Independent of key order (Postgres jsonb reorders keys): symbols are hashed in sorted order. */
export function barsHash(minute: number, bars: StoredBars): string {
  const canonical = JSON.stringify([
    minute,
    Object.keys(bars)
      .sort(byCodeUnits)
      .map((symbol) => [symbol, ...bars[symbol]!]),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** Bars in symbol order, each stamped with the minute. */
export function decodeBars(minute: number, bars: StoredBars): Map<string, Bar> {
  const out = new Map<string, Bar>();
  for (const symbol of Object.keys(bars).sort(byCodeUnits)) {
    const [open, high, low, close, volume] = bars[symbol]!;
    out.set(symbol, { symbol, timestamp: minute, open, high, low, close, volume });
  }
  return out;
}

/** The previous minute's prices with this minute's closes laid over them. */
export function carryPrices(previous: Readonly<Record<string, number>>, bars: StoredBars): Record<string, number> {
  const prices: Record<string, number> = { ...previous };
  for (const [symbol, bar] of Object.entries(bars)) prices[symbol] = bar[3];
  const sorted: Record<string, number> = {};
  for (const symbol of Object.keys(prices).sort(byCodeUnits)) sorted[symbol] = prices[symbol]!;
  return sorted;
}
