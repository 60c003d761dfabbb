import type { Command } from 'commander';
import { reportFatal } from '../fatal.ts';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a minute-tick worker alone (more workers share the minutes on one Redis); uses DATABASE_URL / REDIS_URL, or the embedded services of QTC_DATA_DIR')
    .action(async () => {
      const { runWorker } = await import('../../worker/standalone.ts');
      await runWorker().catch(reportFatal);
    });
}
