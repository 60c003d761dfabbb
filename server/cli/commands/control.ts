import type { Command } from 'commander';
import { reportFatal } from '../fatal.ts';

export function registerControlCommand(program: Command): void {
  program
    .command('control')
    .description(
      "run only the control role (one per competition): reads team_registry.yaml and publishes it to Postgres, syncs the teams' Git repositories (webhooks reach it from any qtc api), schedules the minutes; no HTTP server, no worker. Starts its own Postgres and Redis unless DATABASE_URL / REDIS_URL are set",
    )
    .action(async () => {
      const { runControl } = await import('./runAll.ts');
      await runControl().catch(reportFatal);
    });
}
