import type { MinuteBars } from '../../data/market/minutes.ts';
import type { Bar as SandboxBar, CompiledStrategy, SandboxError, Signal, SandboxPool, LogLine } from '../../sandbox/index.ts';

export interface OfflineStrategy {
  /** Shown in the output; the folder name. */
  name: string;
  compiled: CompiledStrategy;
  params: Record<string, unknown>;
}

export interface MinuteOutcome {
  minute: number;
  strategy: string;
  signals: Signal[];
  error: SandboxError | null;
  logs: LogLine[];
  cpuMs: number;
}

export interface LoadFailure {
  strategy: string;
  error: SandboxError;
}

/** Without fills a replay has nothing to change the portfolio: every strategy sees the starting cash. */
const STARTING_CASH = 100_000;

/** Sandbox team ids must be unique even when two folders share a name (a/x and b/x). */
export function uniqueNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    return count === 1 ? name : `${name}#${count}`;
  });
}

/**
 * Runs strategies over replayed minutes, every strategy seeing the same bars, and yields one
 * outcome per minute and strategy. Strategies that fail to load are reported once through
 * `onLoadFailure` and left out.
 */
export async function* replayStrategies(
  pool: SandboxPool,
  strategies: readonly OfflineStrategy[],
  minutes: Iterable<MinuteBars>,
  onLoadFailure: (failure: LoadFailure) => void,
): AsyncGenerator<MinuteOutcome> {
  const running: string[] = [];
  for (const strategy of strategies) {
    const outcome = await pool.load({ teamId: strategy.name, strategy: strategy.compiled, params: strategy.params });
    if (outcome.ok) running.push(strategy.name);
    else onLoadFailure({ strategy: strategy.name, error: outcome.error });
  }
  if (running.length === 0) return;

  // Sparse symbols keep their last known price between their bars.
  const lastPrices: Record<string, number> = {};
  for (const { minute, bars } of minutes) {
    const newBars: Record<string, SandboxBar> = {};
    for (const [symbol, bar] of bars) {
      newBars[symbol] = { timestamp: bar.timestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume };
      lastPrices[symbol] = bar.close;
    }
    const results = await pool.runMinute({
      minute,
      bars: newBars,
      prices: { ...lastPrices },
      teams: running.map((teamId) => ({ teamId, cash: STARTING_CASH, equity: STARTING_CASH, positions: {} })),
    });
    for (const name of running) {
      const result = results.get(name);
      yield result
        ? { minute, strategy: name, signals: result.signals, error: result.error, logs: result.logs, cpuMs: result.cpuMs }
        : { minute, strategy: name, signals: [], error: { kind: 'crashed', message: 'the sandbox returned no result for this strategy' }, logs: [], cpuMs: 0 };
    }
  }
}
