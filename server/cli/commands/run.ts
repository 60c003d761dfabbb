import type { Command } from 'commander';
import { reportFatal } from '../fatal.ts';
import type { RunCommandOptions } from './runReplay.ts';

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description(
      'run strategies over bars replayed from a CSV file and print their signals or errors per minute (no orders are filled); exit 1 when a strategy is rejected, fails to load or raises an error',
    )
    .argument('<dirs...>', 'strategy folders')
    .requiredOption('--data <file.csv>', 'bars: CSV with timestamp,symbol,open,high,low,close,volume (UTC ISO timestamps)')
    .option('--json', 'one JSON object per line: {"minute","strategy","signals","error","cpuMs"}')
    .option('--skip-static-check', 'run without the static check (to test the sandbox boundary on its own)')
    .option('--all-sessions', 'deliver pre- and post-market bars too (default: regular session only, 09:30-16:00 New York)')
    .option('--params <json>', 'JSON object passed to every strategy constructor')
    .option('--cpu-ms <ms>', 'CPU limit per call (default 200)')
    .action(async (dirs: string[], options: RunCommandOptions) => {
      // Loaded with the command: the loaders bring esbuild and Babel, which no other command needs at start.
      const [{ runReplay, UsageError }, { StrategyCompileError, StrategyFolderError }] = await Promise.all([import('./runReplay.ts'), import('../../../loaders/index.ts')]);
      await runReplay(dirs, options).catch((error: unknown) => {
        if (error instanceof UsageError || error instanceof StrategyFolderError || error instanceof StrategyCompileError) {
          process.stderr.write(`qtc: ${error.message}\n`);
          process.exitCode = 2;
          return;
        }
        reportFatal(error);
      });
    });
}
