// `qtc worker`, loaded only when the command is used: the tick worker alone, against the Postgres and
// Redis the environment names (or the embedded ones of QTC_DATA_DIR, shared with a running `qtc all`).
import { Lifecycle } from '../lifecycle.ts';
import { loadConfig } from '../config/config.ts';
import { createLogger } from '../observability/logger.ts';
import { startServices } from '../services.ts';
import { stopOnSignals } from '../shutdown.ts';
import { RegistryStore } from '../../registry/store.ts';
import { startRegistryWatcher } from '../../registry/watch.ts';
import { openVenue } from '../trading/venue/openVenue.ts';
import { startWorker } from './worker.ts';

export async function runWorker(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const lifecycle = new Lifecycle();
  try {
    const services = await startServices(config, logger, lifecycle);
    // The worker reads the registry (competition settings) but leaves syncing it into Postgres to the API.
    const registryLog = logger.child({ component: 'registry' });
    const registry = new RegistryStore({ file: config.registryFile, log: registryLog });
    await registry.load();
    lifecycle.onClose('registry watcher', startRegistryWatcher(registry, { log: registryLog }));
    // The same venue as `qtc all`'s worker: with Alpaca in the registry, Alpaca or no start at all.
    const venue = await openVenue(config, registry.current(), logger, services.redis);
    lifecycle.onClose('venue', () => venue.close());
    const worker = await startWorker({ config, pg: services.pg, redis: services.redis, registry, logger, market: venue.market, ...(venue.broker ? { broker: venue.broker } : {}) });
    lifecycle.onClose('tick worker', () => worker.stop());
  } catch (error) {
    await lifecycle.closeAll();
    throw error;
  }

  stopOnSignals({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    close: async () => {
      const failures = await lifecycle.closeAll();
      for (const failure of failures) logger.error({ err: failure.error, resource: failure.name }, 'error while shutting down');
      return failures.length === 0;
    },
  });
}
