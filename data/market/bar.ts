/** One minute bar of one symbol, as every market-data source (replay file, simulator, Alpaca) delivers it. */
export interface Bar {
  symbol: string;
  /** Epoch milliseconds (UTC) of the start of the bar's minute. */
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export const MINUTE_MS = 60_000;

/** Ticker symbols as US equity feeds spell them: `SPY`, `BRK.B`. */
export const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9.]*$/;

/** What is wrong with a bar, naming the field so a reader can point at the faulty column. */
export interface BarProblem {
  field: keyof Bar;
  message: string;
}

export function isWholeMinute(epochMs: number): boolean {
  return Number.isSafeInteger(epochMs) && epochMs % MINUTE_MS === 0;
}

/** `2025-07-08T13:31:00Z`: the minute in the form the CSV files and `qtc run --json` use. */
export function formatMinute(epochMs: number): string {
  return new Date(epochMs).toISOString().replace('.000Z', 'Z');
}

/**
 * The first thing wrong with a bar, or null when it is sound. Checks are ordered so that the
 * message names the field a person would fix: each field alone first, then the OHLC relations.
 */
export function findBarProblem(bar: Bar): BarProblem | null {
  if (!SYMBOL_PATTERN.test(bar.symbol)) {
    return { field: 'symbol', message: `symbol ${JSON.stringify(bar.symbol)} is not an upper-case ticker (A-Z, 0-9, '.')` };
  }
  if (!isWholeMinute(bar.timestamp)) {
    return { field: 'timestamp', message: `timestamp ${String(bar.timestamp)} is not the start of a whole minute` };
  }
  for (const field of ['open', 'high', 'low', 'close'] as const) {
    const price = bar[field];
    if (!Number.isFinite(price) || price <= 0) {
      return { field, message: `${field} ${String(price)} is not a positive finite price` };
    }
  }
  if (!Number.isSafeInteger(bar.volume) || bar.volume < 0) {
    return { field: 'volume', message: `volume ${String(bar.volume)} is not a non-negative whole number` };
  }
  if (bar.high < bar.open) return { field: 'high', message: `high ${String(bar.high)} is below open ${String(bar.open)}` };
  if (bar.high < bar.close) return { field: 'high', message: `high ${String(bar.high)} is below close ${String(bar.close)}` };
  if (bar.low > bar.open) return { field: 'low', message: `low ${String(bar.low)} is above open ${String(bar.open)}` };
  if (bar.low > bar.close) return { field: 'low', message: `low ${String(bar.low)} is above close ${String(bar.close)}` };
  return null;
}

export class InvalidBarError extends Error {
  readonly problem: BarProblem;

  constructor(problem: BarProblem) {
    super(problem.message);
    this.name = 'InvalidBarError';
    this.problem = problem;
  }
}

/** For sources other than CSV files (simulator, live feeds): reject a bad bar before anyone trades on it. */
export function assertValidBar(bar: Bar): void {
  const problem = findBarProblem(bar);
  if (problem !== null) throw new InvalidBarError(problem);
}

/** Time, then symbol: the order every replay and every minute snapshot uses, so runs are reproducible. */
export function compareBars(a: Bar, b: Bar): number {
  if (a.timestamp !== b.timestamp) return a.timestamp - b.timestamp;
  if (a.symbol === b.symbol) return 0;
  return a.symbol < b.symbol ? -1 : 1;
}
