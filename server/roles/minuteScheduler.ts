// The minute scheduler of the control role (`qtc all`'s parent process, `qtc control`): one per
// competition, on the calendar of the registry's market.
import type { Logger } from 'pino';
import type { CompetitionServer } from '../compose.ts';
import { effectiveTickConfig } from '../compose.ts';
import type { Config } from '../config/config.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { startScheduler } from '../scheduler/scheduler.ts';
import { openVenue } from '../trading/venue/openVenue.ts';

export async function startMinuteScheduler(config: Config, server: CompetitionServer, logger: Logger, lifecycle: Lifecycle): Promise<void> {
  const { registry, services } = server;
  const tickConfig = effectiveTickConfig(config, registry.current());
  // Only with Alpaca market data does the scheduler follow a calendar other than the embedded NYSE one.
  let calendar;
  if (registry.current().competition.marketData.source === 'alpaca') {
    const venue = await openVenue(config, registry.current(), logger, services.redis, services.pg);
    lifecycle.onClose('scheduler calendar', () => venue.close());
    calendar = venue.calendar;
  }
  const scheduler = await startScheduler({ config: tickConfig, pg: services.pg, redis: services.redis, registry, logger, ...(calendar ? { calendar } : {}) });
  lifecycle.onClose('tick scheduler', () => scheduler.stop());
}
