// `qtc all` and `qtc api`, loaded only when the command is used.
import { loadConfig } from '../../config/config.ts';
import { ALL_ROLES, startCompetitionServer, type Roles } from '../../compose.ts';
import { createLogger } from '../../observability/logger.ts';

export async function runAll(roles: Roles = ALL_ROLES): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const server = await startCompetitionServer(config, logger, roles);
  logger.info({ url: server.address, roles }, `competition server ready at ${server.address}`);

  let stoppingSince: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      // npm forwards the terminal's Ctrl-C to us as well: one key press can arrive twice.
      if (Date.now() - stoppingSince < 1_000) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    forced.unref();
    void server.close().then(() => {
      logger.info('stopped');
      process.exit(0);
    });
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

