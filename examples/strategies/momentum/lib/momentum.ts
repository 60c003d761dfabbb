// Ranking of symbols by momentum (rate of change of the close over a lookback).

export interface MomentumScore {
  symbol: string;
  /** Relative change of the close over the lookback, e.g. 0.004 for +0.4 %. */
  change: number;
}

/** Rate of change between the close `lookback` bars ago and the last close; null without enough bars. */
export function rateOfChange(close: ArrayLike<number>, lookback: number): number | null {
  if (close.length <= lookback) return null;
  const last = close[close.length - 1];
  const before = close[close.length - 1 - lookback];
  if (last === undefined || before === undefined || before <= 0) return null;
  return last / before - 1;
}

/** The `count` symbols with the strongest positive momentum, strongest first. */
export function strongest(scores: readonly MomentumScore[], count: number, minimumChange: number): MomentumScore[] {
  return scores
    .filter((score) => score.change > minimumChange)
    .sort((a, b) => b.change - a.change || (a.symbol < b.symbol ? -1 : 1))
    .slice(0, count);
}
