// `qtc all` and `qtc api`, loaded only when the command is used.
import { loadConfig } from '../../config/config.ts';
import { ALL_ROLES, startCompetitionServer, type Roles } from '../../compose.ts';
import { createLogger } from '../../observability/logger.ts';
import { startUntilSignal } from '../../shutdown.ts';

export async function runAll(roles: Roles = ALL_ROLES): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const server = await startUntilSignal({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    start: (lifecycle) => startCompetitionServer(config, logger, roles, lifecycle),
  });
  if (server) logger.info({ url: server.address, roles }, `competition server ready at ${server.address}`);
}
