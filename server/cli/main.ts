import { Command, CommanderError } from 'commander';
import { registerAdminCommand } from './commands/admin.ts';
import { registerAllCommand } from './commands/all.ts';
import { registerApiCommand } from './commands/api.ts';
import { registerBacktestCommand } from './commands/backtest.ts';
import { registerCheckCommand } from './commands/check.ts';
import { registerControlCommand } from './commands/control.ts';
import { registerInitCommand } from './commands/init.ts';
import { registerReplayCommand } from './commands/replay.ts';
import { registerRunCommand } from './commands/run.ts';
import { registerVersionsCommand } from './commands/versions.ts';
import { registerWorkerCommand } from './commands/worker.ts';
import { reportFatal } from './fatal.ts';

const program = new Command()
  .name('qtc')
  .description('Strategy competition server: run the competition, and check and run strategies locally.')
  .showHelpAfterError()
  .exitOverride();

registerAllCommand(program);
registerApiCommand(program);
registerCheckCommand(program);
registerControlCommand(program);
registerInitCommand(program);
registerRunCommand(program);
registerAdminCommand(program);
registerBacktestCommand(program);
registerReplayCommand(program);
registerVersionsCommand(program);
registerWorkerCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  reportFatal(error);
}
