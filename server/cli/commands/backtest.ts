import type { Command } from 'commander';
import type { BacktestCommandOptions } from '../../backtest/cli.ts';
import { exitWhenWritten, reportFatal } from '../fatal.ts';

export function registerBacktestCommand(program: Command): void {
  program
    .command('backtest')
    .description(
      "backtest strategies with the competition's sandbox, order validation, risk limits and simulated broker (fills at the next bar's open); several strategies give a leaderboard; exit 1 when a strategy is rejected or fails to load",
    )
    .argument('<dirs...>', 'strategy folders')
    .option('--data <file.csv...>', 'bars: CSV files with timestamp,symbol,open,high,low,close,volume (UTC ISO timestamps); regular-session minutes are replayed')
    .option('--synthetic', 'bars from the seeded market simulator instead of files')
    .option('--days <n>', 'with --synthetic: trading days to simulate (default 5)')
    .option('--symbols <A,B,...>', 'with --synthetic: symbols to simulate (default AAPL,AMZN,GOOGL,JPM,META,MSFT,NVDA,SPY,TSLA,XOM)')
    .option('--seed <n>', 'with --synthetic: simulator seed (default 1)')
    .option('--json', 'print one JSON document: {"teams":[{"id","finalEquity","metrics","trades","errors",...}],"bars","durationMs",...}')
    .option(
      '--registry <team_registry.yaml>',
      "trade under a competition's settings: its universe, starting cash, limits and risk limits, and the params and overrides of the team named like each strategy folder",
    )
    .option('--capital <dollars>', "starting cash per strategy (default: the registry's startingCash, else 100000)")
    .option(
      '--risk <key=value>',
      'override a risk limit, repeatable: maxPositionPct, maxOrderNotional, maxOrdersPerMinute, maxTradesPerDay, maxDailyLossPct (e.g. --risk maxOrderNotional=200000)',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--slippage-bps <bps>', "market orders fill this many basis points worse than the next bar's open (default 0)")
    .option('--out <dir>', 'write <team>.trades.csv and <team>.equity.csv per strategy into this folder')
    .option('--report <file.html>', 'write a self-contained HTML report: equity and drawdown charts with trades marked, per-symbol breakdown, trades, errors, metrics')
    .option('--params <json>', 'JSON object passed to every strategy constructor')
    .option('--cpu-ms <ms>', 'CPU limit per strategy call (default 200)')
    .option('--skip-static-check', 'run without the static check')
    .action(async (dirs: string[], options: BacktestCommandOptions & { report?: string }) => {
      // Loaded with the command: the engine and sandbox are not needed to start the CLI; the loaders (esbuild,
      // Babel) only when a strategy's checked bundle is not cached (server/backtest/strategyCache.ts).
      const [{ runBacktestCommand, BacktestUsageError }, { rankTeams }] = await Promise.all([import('../../backtest/cli.ts'), import('../../backtest/report.ts')]);
      await runBacktestCommand(dirs, options)
        .then(async (run) => {
          if (options.report === undefined || run === undefined) return;
          const { writeBacktestReport } = await import('../report/backtestReport.ts');
          await writeBacktestReport(options.report, {
            ...run.outcome,
            data: run.data,
            durationMs: run.report.durationMs,
            failed: run.outcome.loadFailures,
            teams: rankTeams(run.outcome.teams),
            generatedAt: new Date(),
          });
          process.stderr.write(`wrote ${options.report}\n`);
        })
        .catch(async (error: unknown) => {
          // A loader's error comes from the loaders module already loaded: importing it here costs nothing more.
          const { StrategyCompileError, StrategyFolderError } = await import('../../../loaders/index.ts');
          if (error instanceof BacktestUsageError || error instanceof StrategyFolderError || error instanceof StrategyCompileError) {
            process.stderr.write(`qtc: ${error.message}\n`);
            process.exitCode = 2;
            return;
          }
          reportFatal(error);
        });
      await exitWhenWritten();
    });
}
