/**
 * Momentum rotation, split over several files (lib/momentum.ts ranks, lib/sizing.ts sizes):
 * a template for strategies that outgrow one file. Relative imports are bundled together;
 * only files inside this folder and 'qtc' can be imported.
 *
 * Every `rebalanceMinutes` minutes it ranks the symbols by their rate of change over
 * `lookback` bars, holds the `top` strongest ones whose momentum is above `minimumChange`
 * (equal weight), and sells whatever fell out of the top. The time of the last rebalance is
 * kept in `team.memory`, so a restarted server does not rebalance early.
 *
 * Params (all optional): lookback 30, top 3, rebalanceMinutes 15, minimumChange 0.
 *
 * Try it: npx qtc check examples/strategies/momentum
 */
import { rateOfChange, strongest, type MomentumScore } from './lib/momentum.ts';
import { sharesFor, slotBudget } from './lib/sizing.ts';
import type { Bars, Signal, Team } from 'qtc';

const MINUTE_MS = 60_000;

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

export default class Momentum {
  private readonly lookback: number;
  private readonly top: number;
  private readonly rebalanceMinutes: number;
  private readonly minimumChange: number;

  constructor(params: Record<string, unknown>) {
    this.lookback = positiveInteger(params.lookback, 30);
    this.top = positiveInteger(params.top, 3);
    this.rebalanceMinutes = positiveInteger(params.rebalanceMinutes, 15);
    this.minimumChange = typeof params.minimumChange === 'number' ? params.minimumChange : 0;
  }

  generateSignal(team: Team, bars: Bars, currentPrices: Record<string, number>): Signal[] | null {
    const now = latestBarTime(bars);
    if (now === null) return null;
    const lastRebalance = team.memory.lastRebalance;
    if (typeof lastRebalance === 'number' && now - lastRebalance < this.rebalanceMinutes * MINUTE_MS) return null;

    const scores: MomentumScore[] = [];
    for (const symbol of Object.keys(bars)) {
      // team.api gives the same window as `bars`, sliced: here the last lookback+1 bars.
      const change = rateOfChange(team.api.getLastN(symbol, this.lookback + 1).close, this.lookback);
      if (change !== null) scores.push({ symbol, change });
    }
    if (scores.length === 0) return null;
    team.memory.lastRebalance = now;

    const winners = strongest(scores, this.top, this.minimumChange);
    const keep = new Set(winners.map((score) => score.symbol));
    const signals: Signal[] = [];
    let cashLeft = team.cash;

    for (const [symbol, position] of Object.entries(team.positions)) {
      const price = currentPrices[symbol];
      if (keep.has(symbol) || position.quantity <= 0 || price === undefined) continue;
      signals.push({ symbol, action: 'sell', quantity: position.quantity, price, reason: 'dropped out of the momentum top' });
      // Sells fill next minute at the earliest: their cash is not counted on for buys now.
    }

    for (const winner of winners) {
      const price = currentPrices[winner.symbol];
      if (price === undefined || (team.positions[winner.symbol]?.quantity ?? 0) > 0) continue;
      const quantity = sharesFor(slotBudget(team.equity, this.top, cashLeft), price);
      if (quantity < 1) continue;
      cashLeft -= quantity * price;
      signals.push({
        symbol: winner.symbol,
        action: 'buy',
        quantity,
        price,
        confidence: Math.min(1, winner.change * 100),
        reason: `momentum ${(winner.change * 100).toFixed(2)}% over ${this.lookback} bars`,
      });
    }
    return signals;
  }
}

function latestBarTime(bars: Bars): number | null {
  let latest: number | null = null;
  for (const series of Object.values(bars)) {
    const time = series.timestamp[series.timestamp.length - 1];
    if (time !== undefined && (latest === null || time > latest)) latest = time;
  }
  return latest;
}
