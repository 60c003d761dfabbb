import type { Logger } from 'pino';
import type { MarketDataSource } from '../../../data/market/source.ts';
import type { Registry } from '../../../registry/schema.ts';
import type { Config } from '../../config/config.ts';
import { createMarketSource } from '../../tick/competition.ts';
import type { Broker } from '../types.ts';
import { connectAlpacaVenue } from './alpacaVenue.ts';

/** Where a tick worker trades and where its bars come from. */
export interface Venue {
  /** A broker that streams its fills (Alpaca); undefined: the ledger-backed simulated broker. */
  broker: Broker | undefined;
  market: MarketDataSource;
  close(): Promise<void>;
}

/**
 * The one place that turns the registry and the configuration into a broker and a market. Every
 * process that hosts a tick worker (`qtc all`, `qtc worker`) gets its venue here, so no worker can
 * trade anywhere but where the registry says: an extra `qtc worker` once fell back to the simulated
 * broker while `qtc all` traded on Alpaca. Refuses to start when the registry names Alpaca and no
 * keys are configured.
 */
export async function openVenue(config: Config, registry: Registry, logger: Logger): Promise<Venue> {
  const alpaca = await connectAlpacaVenue(registry, config.alpaca, logger);
  try {
    const market = alpaca.market ?? (await createMarketSource(registry, { replayFile: config.tick.replayFile, registryFile: config.registryFile }));
    return { broker: alpaca.broker, market, close: () => alpaca.close() };
  } catch (error) {
    await alpaca.close();
    throw error;
  }
}
