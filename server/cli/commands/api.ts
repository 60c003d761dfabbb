import type { Command } from 'commander';
import { reportFatal } from '../fatal.ts';

export function registerApiCommand(program: Command): void {
  program
    .command('api')
    .description(
      'run only the HTTP API (stateless: run as many replicas as needed behind a load balancer; live events reach each through Redis); needs DATABASE_URL / REDIS_URL or the embedded services of QTC_DATA_DIR',
    )
    .action(async () => {
      const [{ runAll }, { API_ROLES }] = await Promise.all([import('./runAll.ts'), import('../../compose.ts')]);
      await runAll(API_ROLES).catch(reportFatal);
    });
}
