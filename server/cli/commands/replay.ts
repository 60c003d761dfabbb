import type { Command } from 'commander';
import type { ReplayCommandOptions } from '../../replay/cli.ts';
import { reportFatal } from '../fatal.ts';

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'replay the recorded season from Postgres alone (stored bars, bundles, registry versions, halts, loads, seed) through the minute engine and compare every run, fill, snapshot and metric bit for bit; exit 0 when every team is identical, 1 on a divergence',
    )
    .option('--database-url <url>', 'the recording Postgres (default DATABASE_URL); read in one READ ONLY transaction')
    .option('--season <id>', "all (default), or the season's first minute as ISO time: one database holds one season")
    .option('--json', 'print one JSON document: {"identical","minutes","minutesPerSecond","teams":[{"teamId","identical","divergence"}],...}')
    .action(async (options: ReplayCommandOptions) => {
      const [{ runReplayCommand, ReplayUsageError }, { loadConfig }] = await Promise.all([import('../../replay/cli.ts'), import('../../config/config.ts')]);
      await runReplayCommand(options, loadConfig())
        .then((code) => {
          process.exitCode = code;
        })
        .catch((error: unknown) => {
          if (error instanceof ReplayUsageError) {
            process.stderr.write(`qtc: ${error.message}\n`);
            process.exitCode = 2;
            return;
          }
          reportFatal(error);
        });
    });
}
