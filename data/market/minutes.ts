import { type Bar, compareBars, formatMinute } from './bar.ts';

/** The bars that closed in one minute, keyed by symbol (in symbol order); absent symbols had no trade. */
export interface MinuteBars {
  /** Epoch ms of the minute's start, UTC. */
  minute: number;
  bars: Map<string, Bar>;
}

/**
 * Groups bars by the minute they start in, ascending; only minutes with at least one bar appear.
 * Accepts bars in any order. Two bars of one symbol in one minute is an error: which one a
 * strategy sees must never depend on input order.
 */
export function groupByMinute(bars: readonly Bar[]): MinuteBars[] {
  const ordered = [...bars].sort(compareBars);
  const minutes: MinuteBars[] = [];
  let current: MinuteBars | undefined;
  for (const bar of ordered) {
    if (current?.minute !== bar.timestamp) {
      current = { minute: bar.timestamp, bars: new Map() };
      minutes.push(current);
    }
    if (current.bars.has(bar.symbol)) {
      throw new Error(`two bars for ${bar.symbol} in the minute ${formatMinute(bar.timestamp)}`);
    }
    current.bars.set(bar.symbol, bar);
  }
  return minutes;
}
