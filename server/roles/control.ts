// `qtc control`: the control role alone, for a competition whose API replicas and workers run on other
// machines: the registry file under the control leader lock, the Git sync (taking the replicas'
// webhooks over Redis) and the minute scheduler. No HTTP server and no tick worker.
import type { Logger } from 'pino';
import { CONTROL_ROLES, startCompetitionServer, type CompetitionServer } from '../compose.ts';
import type { Config } from '../config/config.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { startMinuteScheduler } from './minuteScheduler.ts';

export async function startControlRole(config: Config, logger: Logger, lifecycle: Lifecycle): Promise<CompetitionServer> {
  const server = await startCompetitionServer(config, logger, CONTROL_ROLES, lifecycle);
  await startMinuteScheduler(config, server, logger, lifecycle);
  return server;
}
