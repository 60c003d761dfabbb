import type { Command } from 'commander';
import { reportFatal } from '../fatal.ts';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a minute-tick worker alone (more workers share the minutes on one Redis); uses DATABASE_URL / REDIS_URL, or the embedded services of QTC_DATA_DIR')
    .action(async () => {
      const [{ runWorker }, { followParent, reportReady }] = await Promise.all([import('../../worker/standalone.ts'), import('../../roles/child.ts')]);
      // A child of `qtc all`'s process tree leaves with its parent and tells it when it is running.
      const inTree = followParent();
      await runWorker().then(() => inTree && reportReady({ type: 'ready' }), reportFatal);
    });
}
