// `qtc worker`, loaded only when the command is used: the tick worker alone, against the Postgres and
// Redis the environment names, or the embedded ones of QTC_DATA_DIR that `qtc all` runs (joined,
// never started or stopped here: stopping a worker must not stop the databases of the others).
import type { Logger } from 'pino';
import type { Config } from '../config/config.ts';
import { loadConfig } from '../config/config.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { createLogger } from '../observability/logger.ts';
import { startServices } from '../services.ts';
import { startUntilSignal } from '../shutdown.ts';
import { openRegistry } from '../../registry/role.ts';
import { openVenue } from '../trading/venue/openVenue.ts';
import { startWorker } from './worker.ts';

async function startStandaloneWorker(config: Config, logger: Logger, lifecycle: Lifecycle): Promise<void> {
  const services = await startServices(config, logger, lifecycle, 'join');
  // The registry in force (competition settings) from Postgres, as the control process published it;
  // never from a local team_registry.yaml, so a worker on another machine needs only DATABASE_URL / REDIS_URL.
  const registry = await openRegistry({ pool: services.pg, logger, lifecycle, control: false, file: config.registryFile });
  // The same venue as `qtc all`'s worker: with Alpaca in the registry, Alpaca or no start at all.
  const venue = await openVenue(config, registry.current(), logger, services.redis, services.pg);
  lifecycle.onClose('venue', () => venue.close());
  const worker = await startWorker({ config, pg: services.pg, redis: services.redis, registry, logger, market: venue.market, ...(venue.broker ? { broker: venue.broker } : {}) });
  lifecycle.onClose('tick worker', () => worker.stop());
}

export async function runWorker(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  await startUntilSignal({ logger, timeoutMs: config.shutdownTimeoutMs, start: (lifecycle) => startStandaloneWorker(config, logger, lifecycle) });
}
