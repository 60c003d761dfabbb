/**
 * `--synthetic`: minutes from the seeded market simulator (data/market/simulator.ts), so a backtest
 * needs no data files. Same seed, days and symbols → the same bars, on any machine.
 */
import { MarketSimulator } from '../../data/market/simulator.ts';
import type { MinuteSnapshot } from '../../data/market/source.ts';

/** Used when `--symbols` is not given: ten liquid US names (simulated, not their real prices). */
export const DEFAULT_SYNTHETIC_SYMBOLS: readonly string[] = ['AAPL', 'AMZN', 'GOOGL', 'JPM', 'META', 'MSFT', 'NVDA', 'SPY', 'TSLA', 'XOM'];

export interface SyntheticOptions {
  days: number;
  seed: number;
  symbols?: readonly string[];
}

export interface SyntheticMarket {
  minutes: AsyncIterable<MinuteSnapshot>;
  symbols: string[];
  /** Minutes the sessions hold (half days are shorter), for the progress bar. */
  totalMinutes: number;
}

export function syntheticMarket(options: SyntheticOptions): SyntheticMarket {
  const symbols = [...(options.symbols ?? DEFAULT_SYNTHETIC_SYMBOLS)].sort();
  const simulator = new MarketSimulator({ seed: options.seed });
  const range = simulator.sessionRange(options.days);
  const totalMinutes = range.sessions.reduce((sum, session) => sum + (session.close - session.open) / 60_000, 0);
  return { minutes: simulator.minutes(range.fromMs, range.toMs, symbols), symbols, totalMinutes };
}
