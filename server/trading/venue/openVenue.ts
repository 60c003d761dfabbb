import type { Logger } from 'pino';
import type { MarketCalendar } from '../../../data/market/calendar.ts';
import type { MarketDataSource } from '../../../data/market/source.ts';
import type { PgPool } from '../../../data/postgres/pool.ts';
import type { RedisClient } from '../../../data/redis/client.ts';
import type { Registry } from '../../../registry/schema.ts';
import type { Config } from '../../config/config.ts';
import { createMarketSource } from '../../tick/competition.ts';
import type { Broker } from '../types.ts';
import { connectAlpacaVenue } from './alpacaVenue.ts';
import { marketInForce } from './marketInForce.ts';

/** Where a tick worker trades and where its bars come from. */
export interface Venue {
  /** A broker that streams its fills (Alpaca); undefined: the ledger-backed simulated broker. */
  broker: Broker | undefined;
  market: MarketDataSource;
  /** Alpaca's calendar when Alpaca is the market data source; undefined: the embedded NYSE calendar. */
  calendar: MarketCalendar | undefined;
  close(): Promise<void>;
}

/**
 * The one place that turns the registry and the configuration into a broker and a market. Every
 * process that hosts a tick worker (`qtc all`, `qtc worker`) gets its venue here, so no worker can
 * trade anywhere but where the registry says: an extra `qtc worker` once fell back to the simulated
 * broker while `qtc all` traded on Alpaca. Refuses to start when the registry names Alpaca and no
 * keys are configured. With `redis`, Alpaca's request budget is shared by every process of the account;
 * with `pool`, a replay market's bars are the ones the control process published (marketInForce.ts).
 */
export async function openVenue(config: Config, registry: Registry, logger: Logger, redis?: RedisClient, pool?: PgPool): Promise<Venue> {
  const alpaca = await connectAlpacaVenue(registry, config.alpaca, logger, redis);
  try {
    const choice = { replayFile: config.tick.replayFile, registryFile: config.registryFile };
    const market = alpaca.market ?? (pool ? await marketInForce(pool, registry, choice, logger) : await createMarketSource(registry, choice));
    return { broker: alpaca.broker, market, calendar: alpaca.calendar, close: () => alpaca.close() };
  } catch (error) {
    await alpaca.close();
    throw error;
  }
}
