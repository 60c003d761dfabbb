/**
 * SMA crossover: the classic trend-following starter.
 *
 * For every symbol, it buys when the fast simple moving average of the close crosses above
 * the slow one, and sells the whole position when it crosses back below. Each buy spends at
 * most `allocation` of the team's equity (and never more cash than the team has).
 *
 * The averages are rolling indicators (`RollingSma` from 'qtc'), kept in a field: each minute
 * they take only the new bars instead of re-adding the whole window, and their values are exactly
 * smaSeries()'s over the bars they were given.
 *
 * When the two averages are equal in exact arithmetic (flat prices, or a cross landing exactly
 * on a cent), which one compares higher is decided by rounding, and a running sum begun on an
 * earlier bar rounds differently from smaSeries() begun at the window's first bar. Only then, the
 * strategy asks smaSeries() over the window, as it always did before. So every signal is the one
 * the window alone decides, wherever the sums began: the same as the whole-window version's, and
 * the same after an isolate reload (a new isolate begins its sums on the last bars of its window)
 * as in an isolate that stayed warm, with nothing to keep in team.memory.
 *
 * Params (team_registry.yaml, all optional):
 *   fast: 10         bars in the fast average
 *   slow: 30         bars in the slow average
 *   allocation: 0.2  fraction of equity per position
 *
 * Try it: npx qtc check examples/strategies/sma-crossover
 */
import { RollingSma, crossover, crossunder, sma, smaSeries } from 'qtc';
import type { Bars, Signal, Team } from 'qtc';

function positiveInteger(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : fallback;
}

function fraction(value: unknown, fallback: number): number {
  return typeof value === 'number' && value > 0 && value <= 1 ? value : fallback;
}

/** One symbol's averages, fed up to the bar at `last` (epoch ms). */
interface Averages {
  fast: RollingSma;
  slow: RollingSma;
  last: number;
  /** fast <= slow and fast >= slow one bar before `last`: the first half of a cross. */
  wasBelow: boolean;
  wasAbove: boolean;
  /** The averages were (nearly) equal one bar before `last`. */
  wasNear: boolean;
}

// Far above the drift between two running sums of the same prices begun on different bars (each
// step rounds by at most half an ulp, ~1e-16 of the sum: a million bars at a steady price level
// stay under 1e-9), far below the gap between two averages of cent prices that are not equal.
const TIE = 1e-7;

/** Too close to call without the window's own rounding (or not a number yet). */
function nearTie(a: number, b: number): boolean {
  return !(Math.abs(a - b) > TIE * Math.max(Math.abs(a), Math.abs(b)));
}

export default class SmaCrossover {
  private readonly fast: number;
  private readonly slow: number;
  private readonly allocation: number;
  private readonly averages = new Map<string, Averages>();

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
      if (close === undefined || price === undefined) continue;
      const averages = this.advance(team, symbol);
      // A cross needs the two averages on the last two bars.
      if (close.length < this.slow + 1) continue;

      const held = team.positions[symbol]?.quantity ?? 0;
      const { up, down } = this.cross(averages, close);

      if (held === 0 && up) {
        const budget = Math.min(cashLeft, team.equity * this.allocation);
        const quantity = Math.floor(budget / price);
        if (quantity < 1) continue;
        cashLeft -= quantity * price;
        signals.push({
          symbol,
          action: 'buy',
          quantity,
          price,
          reason: `SMA${this.fast} ${this.shown(close, this.fast)} crossed above SMA${this.slow} ${this.shown(close, this.slow)}`,
        });
      } else if (held > 0 && down) {
        signals.push({
          symbol,
          action: 'sell',
          quantity: held,
          price,
          reason: `SMA${this.fast} ${this.shown(close, this.fast)} crossed below SMA${this.slow} ${this.shown(close, this.slow)}`,
        });
      }
    }
    return signals;
  }

  /** Whether the fast average crossed above (up) or below (down) the slow one on the last bar. */
  private cross(averages: Averages, close: ArrayLike<number>): { up: boolean; down: boolean } {
    const fastNow = averages.fast.value;
    const slowNow = averages.slow.value;
    if (averages.wasNear || nearTie(fastNow, slowNow)) {
      const fastSeries = smaSeries(close, this.fast);
      const slowSeries = smaSeries(close, this.slow);
      return { up: crossover(fastSeries, slowSeries), down: crossunder(fastSeries, slowSeries) };
    }
    return { up: averages.wasBelow && fastNow > slowNow, down: averages.wasAbove && fastNow < slowNow };
  }

  /** The averages of `symbol` brought up to its newest bar. */
  private advance(team: Team, symbol: string): Averages {
    let averages = this.averages.get(symbol);
    let fresh;
    if (averages === undefined) {
      averages = { fast: new RollingSma(this.fast), slow: new RollingSma(this.slow), last: -Infinity, wasBelow: false, wasAbove: false, wasNear: true };
      this.averages.set(symbol, averages);
      // Where the sums begin does not change a signal (see above): the last slow+1 bars are enough
      // for the two averages on the last two bars, and keep a fresh isolate's first call short.
      fresh = team.api.getLastN(symbol, this.slow + 1);
    } else {
      // Only the bars after the last one fed: usually one, none when the symbol did not trade.
      fresh = team.api.getRange(symbol, averages.last + 1, Number.MAX_SAFE_INTEGER);
    }
    const { fast, slow } = averages;
    const close = fresh.close;
    const count = close.length;
    if (count === 0) return averages;
    for (let i = 0; i < count - 1; i++) {
      fast.update(close[i] ?? NaN);
      slow.update(close[i] ?? NaN);
    }
    // The averages one bar before the newest: the first half of a cross.
    averages.wasBelow = fast.value <= slow.value;
    averages.wasAbove = fast.value >= slow.value;
    averages.wasNear = nearTie(fast.value, slow.value);
    fast.update(close[count - 1] ?? NaN);
    slow.update(close[count - 1] ?? NaN);
    averages.last = fresh.timestamp[count - 1] ?? averages.last;
    return averages;
  }

  /** The average over the window as shown in a signal's reason. */
  private shown(close: ArrayLike<number>, period: number): string {
    return (sma(close, period) ?? NaN).toFixed(2);
  }
}
