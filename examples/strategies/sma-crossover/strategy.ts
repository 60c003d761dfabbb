/**
 * SMA crossover: the classic trend-following starter.
 *
 * For every symbol, it buys when the fast simple moving average of the close crosses above
 * the slow one, and sells the whole position when it crosses back below. Each buy spends at
 * most `allocation` of the team's equity (and never more cash than the team has).
 *
 * Params (team_registry.yaml, all optional):
 *   fast: 10         bars in the fast average
 *   slow: 30         bars in the slow average
 *   allocation: 0.2  fraction of equity per position
 *
 * Try it: npx qtc check examples/strategies/sma-crossover
 */
import { crossover, crossunder, sma, smaSeries } from 'qtc';
import type { Bars, Signal, Team } from 'qtc';

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

function fraction(value: unknown, fallback: number): number {
  return typeof value === 'number' && value > 0 && value <= 1 ? value : fallback;
}

export default class SmaCrossover {
  private readonly fast: number;
  private readonly slow: number;
  private readonly allocation: number;

  constructor(params: Record<string, unknown>) {
    this.fast = positiveInteger(params.fast, 10);
    this.slow = Math.max(this.fast + 1, positiveInteger(params.slow, 30));
    this.allocation = fraction(params.allocation, 0.2);
  }

  generateSignal(team: Team, bars: Bars, currentPrices: Record<string, number>): Signal[] {
    const signals: Signal[] = [];
    // Cash already promised to earlier buys of this same minute.
    let cashLeft = team.cash;

    for (const symbol of Object.keys(bars).sort()) {
      const close = bars[symbol]?.close;
      const price = currentPrices[symbol];
      // A cross needs the two averages on the last two bars.
      if (close === undefined || price === undefined || close.length < this.slow + 1) continue;

      const fastSeries = smaSeries(close, this.fast);
      const slowSeries = smaSeries(close, this.slow);
      const fastNow = sma(close, this.fast);
      const slowNow = sma(close, this.slow);
      if (fastNow === null || slowNow === null) continue;
      const held = team.positions[symbol]?.quantity ?? 0;

      if (held === 0 && crossover(fastSeries, slowSeries)) {
        const budget = Math.min(cashLeft, team.equity * this.allocation);
        const quantity = Math.floor(budget / price);
        if (quantity < 1) continue;
        cashLeft -= quantity * price;
        signals.push({
          symbol,
          action: 'buy',
          quantity,
          price,
          reason: `SMA${this.fast} ${fastNow.toFixed(2)} crossed above SMA${this.slow} ${slowNow.toFixed(2)}`,
        });
      } else if (held > 0 && crossunder(fastSeries, slowSeries)) {
        signals.push({
          symbol,
          action: 'sell',
          quantity: held,
          price,
          reason: `SMA${this.fast} ${fastNow.toFixed(2)} crossed below SMA${this.slow} ${slowNow.toFixed(2)}`,
        });
      }
    }
    return signals;
  }
}
