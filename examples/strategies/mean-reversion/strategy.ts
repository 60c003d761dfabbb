/**
 * Mean reversion on the z-score of the close.
 *
 * Buys when the last close is more than `entryZ` standard deviations below its `period`-bar
 * mean, and sells the position when the price has come back (z-score above `exitZ`), when it
 * falls `stopLoss` below the entry price, or after `maxHoldMinutes`. The entry price and time
 * of each position are remembered in `team.memory`, which survives isolate and server
 * restarts (keep it small: it is size-capped).
 *
 * Params (all optional): period 20, entryZ 2, exitZ 0, stopLoss 0.02, maxHoldMinutes 120,
 * allocation 0.1 (fraction of equity per position).
 *
 * Try it: npx qtc check examples/strategies/mean-reversion
 */
import { zscore } from 'qtc';
import type { Bars, Signal, Team } from 'qtc';

const MINUTE_MS = 60_000;
// A buy fills at the next bar's open: for this long an entry without a position is a pending buy.
const PENDING_BUY_MS = 2 * MINUTE_MS;

// A type alias, not an interface: it must be assignable to the JSON type of team.memory.
type Entry = { price: number; since: number };

function numberParam(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** The remembered entries, rebuilt from team.memory defensively (it is plain JSON). */
function readEntries(memory: Record<string, unknown>): Record<string, Entry> {
  const stored = memory.entries;
  const entries: Record<string, Entry> = {};
  if (typeof stored !== 'object' || stored === null) return entries;
  for (const [symbol, value] of Object.entries(stored as Record<string, unknown>)) {
    const { price, since } = (value ?? {}) as { price?: unknown; since?: unknown };
    if (typeof price === 'number' && typeof since === 'number') entries[symbol] = { price, since };
  }
  return entries;
}

export default class MeanReversion {
  private readonly period: number;
  private readonly entryZ: number;
  private readonly exitZ: number;
  private readonly stopLoss: number;
  private readonly maxHoldMinutes: number;
  private readonly allocation: number;

  constructor(params: Record<string, unknown>) {
    this.period = Math.max(2, Math.floor(numberParam(params.period, 20)));
    this.entryZ = Math.abs(numberParam(params.entryZ, 2));
    this.exitZ = numberParam(params.exitZ, 0);
    this.stopLoss = Math.abs(numberParam(params.stopLoss, 0.02));
    this.maxHoldMinutes = Math.max(1, numberParam(params.maxHoldMinutes, 120));
    this.allocation = Math.min(1, Math.abs(numberParam(params.allocation, 0.1)));
  }

  generateSignal(team: Team, bars: Bars, currentPrices: Record<string, number>): Signal[] {
    const entries = readEntries(team.memory);
    const signals: Signal[] = [];
    let cashLeft = team.cash;

    for (const symbol of Object.keys(bars).sort()) {
      const series = bars[symbol];
      const price = currentPrices[symbol];
      if (series === undefined || price === undefined) continue;
      const now = series.timestamp[series.timestamp.length - 1] ?? 0;
      const z = zscore(series.close, this.period);
      const held = team.positions[symbol]?.quantity ?? 0;

      if (held > 0) {
        // Positions bought outside this strategy's memory (e.g. before a reset) count from now.
        const entry = entries[symbol] ?? { price: team.positions[symbol]?.avgCost ?? price, since: now };
        entries[symbol] = entry;
        const exit = this.exitReason(z, price, entry, now);
        if (exit !== null) {
          signals.push({ symbol, action: 'sell', quantity: held, price, reason: exit });
          delete entries[symbol];
        }
        continue;
      }
      const pending = entries[symbol];
      if (pending !== undefined && now - pending.since < PENDING_BUY_MS) continue;
      delete entries[symbol];
      if (z === null || z > -this.entryZ) continue;

      const quantity = Math.floor(Math.min(cashLeft, team.equity * this.allocation) / price);
      if (quantity < 1) continue;
      cashLeft -= quantity * price;
      entries[symbol] = { price, since: now };
      signals.push({
        symbol,
        action: 'buy',
        quantity,
        price,
        confidence: Math.min(1, -z / (2 * this.entryZ)),
        reason: `z-score ${z.toFixed(2)} below -${this.entryZ} over ${this.period} bars`,
      });
    }

    team.memory.entries = entries;
    return signals;
  }

  private exitReason(z: number | null, price: number, entry: Entry, now: number): string | null {
    if (price <= entry.price * (1 - this.stopLoss)) {
      return `stop loss: ${price.toFixed(2)} is ${(this.stopLoss * 100).toFixed(1)}% below entry ${entry.price.toFixed(2)}`;
    }
    if (z !== null && z >= this.exitZ) return `back to the mean: z-score ${z.toFixed(2)}`;
    if (now - entry.since >= this.maxHoldMinutes * MINUTE_MS) return `held ${this.maxHoldMinutes} minutes without reverting`;
    return null;
  }
}
