// Backtest benchmark: bar-points per second through the whole `qtc backtest` engine (sandbox,
// validation, risk, books, simulated venue, metrics).
// Run with: npm run bench:backtest   (node --no-node-snapshot bench/backtest.ts)
// Prints one JSON object. Figures are measurements on the machine at hand, not assertions.
//   (a) an empty strategy over 400 symbols × 5 days (LEAN's EmptyMinute400Equity analogue, ~650k points/s there);
//   (b) the SMA-crossover example over 10 symbols.
// Bars come from the seeded simulator and are generated before the clock starts (the simulator's
// own speed is reported separately), so the figure is the engine's.
// Each case runs with the sandbox in-process (what `qtc backtest` uses) and in child processes
// (what the live server uses), to show what the process boundary costs.
import { availableParallelism, cpus } from 'node:os';
import path from 'node:path';
import { MarketSimulator } from '../data/market/simulator.ts';
import type { MinuteSnapshot } from '../data/market/source.ts';
import { compileStrategy } from '../loaders/index.ts';
import { SandboxPool, type CompiledStrategy, type SandboxPoolOptions } from '../sandbox/index.ts';

type SandboxMode = NonNullable<SandboxPoolOptions['mode']>;
import { runBacktest, type BacktestMinute } from '../server/backtest/engine.ts';
import { toMoney } from '../server/trading/money.ts';
import { DEFAULT_RISK, riskLimitsFrom } from '../server/trading/risk/limits.ts';

const EMPTY: CompiledStrategy = {
  filename: 'strategy.bundle.js',
  sourceMap: '',
  code: 'var __qtcStrategy = (() => { class Empty { generateSignal() { return null; } } return { default: Empty }; })();',
};

const round = (value: number, digits = 0): number => Number(value.toFixed(digits));

function symbolsOf(count: number): string[] {
  // S000 … S399: valid tickers, sorted as strings.
  return Array.from({ length: count }, (_, i) => `S${String(i).padStart(3, '0')}`);
}

async function generate(symbols: readonly string[], days: number): Promise<{ minutes: MinuteSnapshot[]; ms: number }> {
  const started = performance.now();
  const simulator = new MarketSimulator({ seed: 42 });
  const range = simulator.sessionRange(days);
  const minutes: MinuteSnapshot[] = [];
  for await (const snapshot of simulator.minutes(range.fromMs, range.toMs, symbols)) minutes.push(snapshot);
  return { minutes, ms: performance.now() - started };
}

async function measure(name: string, strategy: CompiledStrategy, symbolCount: number, days: number, mode: SandboxMode) {
  const symbols = symbolsOf(symbolCount);
  const data = await generate(symbols, days);
  // A generous limit: on a loaded machine a call can stall past the default 200 ms of wall time, which would end the run.
  const pool = new SandboxPool({ mode, processes: 1, cpuMs: 5000 });
  await pool.start();
  try {
    const started = performance.now();
    const outcome = await runBacktest({
      strategies: [{ id: name, teamId: name, compiled: strategy, params: {} }],
      minutes: data.minutes as Iterable<BacktestMinute>,
      universe: symbols,
      capital: toMoney(100_000),
      slippageBps: 0,
      limits: riskLimitsFrom(DEFAULT_RISK),
      pool,
    });
    const seconds = (performance.now() - started) / 1000;
    const team = outcome.teams[0];
    if (team === undefined) throw new Error(`${name}: the strategy did not load: ${JSON.stringify(outcome.loadFailures)}`);
    // Refused orders are part of trading (e.g. one decided on a session's last minute is never sent); a strategy error is not.
    const failed = team.errors.find((error) => error.source === 'strategy');
    if (failed !== undefined) throw new Error(`${name}: strategy error: ${JSON.stringify(failed)}`);
    return {
      name,
      sandbox: mode,
      symbols: symbolCount,
      days,
      minutes: outcome.minutes,
      barPoints: outcome.bars,
      seconds: round(seconds, 3),
      pointsPerSecond: round(outcome.bars / seconds),
      msPerMinute: round((seconds * 1000) / outcome.minutes, 3),
      fills: team.trades.length,
      simulatorPointsPerSecond: round(outcome.bars / (data.ms / 1000)),
    };
  } finally {
    await pool.close();
  }
}

const sma = await compileStrategy(path.resolve(import.meta.dirname, '../examples/strategies/sma-crossover'));
const runs = [];
for (const mode of ['in-process', 'processes'] as const) {
  runs.push(await measure('empty-400', EMPTY, 400, 5, mode), await measure('sma-crossover-10', sma, 10, 20, mode));
}
console.log(
  JSON.stringify(
    {
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: availableParallelism(),
      targets: { 'empty-400': 1_000_000, 'sma-crossover-10': 200_000 },
      runs,
    },
    null,
    2,
  ),
);
