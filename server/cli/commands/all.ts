import type { Command } from 'commander';
import { reportFatal } from '../fatal.ts';

export function registerAllCommand(program: Command): void {
  program
    .command('all')
    .description('run the whole competition server (HTTP API, scheduler, worker) on this machine; starts its own Postgres and Redis unless DATABASE_URL / REDIS_URL are set')
    .action(async () => {
      const { runAll } = await import('./runAll.ts');
      await runAll().catch(reportFatal);
    });
}
