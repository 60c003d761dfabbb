import type { Logger } from 'pino';
import { createAlpacaLimiter } from '../../../data/market/alpaca/alpacaClient.ts';
import { AlpacaMarketData } from '../../../data/market/alpaca/alpacaMarketData.ts';
import type { MarketCalendar } from '../../../data/market/calendar.ts';
import type { MarketDataSource } from '../../../data/market/source.ts';
import type { RedisClient } from '../../../data/redis/client.ts';
import type { Registry } from '../../../registry/schema.ts';
import type { AlpacaConfig } from '../../config/config.ts';
import { AlpacaBroker } from '../brokers/alpaca/alpacaBroker.ts';
import { startAlpacaCalendar } from '../brokers/alpaca/alpacaSessions.ts';
import { SharedAlpacaBudget } from '../brokers/alpaca/sharedBudget.ts';
import type { Broker } from '../types.ts';

/** Where a worker trades and where its bars come from, when that is Alpaca. */
export interface AlpacaVenue {
  broker?: Broker;
  market?: MarketDataSource;
  /** Alpaca's market calendar, when Alpaca is the market data source (the scheduler's sessions). */
  calendar?: MarketCalendar;
  close(): Promise<void>;
}

/**
 * Connects what the registry asks of Alpaca (`broker.kind: alpaca`, `marketData.source: alpaca`),
 * or nothing. Refuses to start when the registry asks for Alpaca and no keys are configured,
 * rather than silently trading somewhere else.
 */
export async function connectAlpacaVenue(registry: Registry, alpaca: AlpacaConfig | undefined, logger: Logger, redis?: RedisClient): Promise<AlpacaVenue> {
  const wantsBroker = registry.competition.broker.kind === 'alpaca';
  const wantsData = registry.competition.marketData.source === 'alpaca';
  if (!wantsBroker && !wantsData) return { close: () => Promise.resolve() };
  if (!alpaca) {
    throw new Error('team_registry.yaml asks for Alpaca (competition.broker.kind or marketData.source) but ALPACA_KEY_ID / ALPACA_SECRET_KEY are not set');
  }
  const log = logger.child({ component: 'alpaca' });
  // One account, one budget of 200 requests a minute: kept in Redis, so every process (each `qtc worker`)
  // draws on the same one; without Redis, this process's own.
  const limiter = redis === undefined ? createAlpacaLimiter() : new SharedAlpacaBudget({ redis, keyId: alpaca.keyId, logger: log });
  const sessions = wantsData ? await startAlpacaCalendar({ alpaca, limiter, logger: log }) : undefined;
  const broker = wantsBroker ? await AlpacaBroker.fromConfig(alpaca, { logger: log, limiter }) : undefined;
  const market = wantsData
    ? new AlpacaMarketData({ keyId: alpaca.keyId, secretKey: alpaca.secretKey, dataUrl: alpaca.dataUrl, feed: alpaca.feed, limiter, logger: log })
    : undefined;
  log.info({ broker: wantsBroker, marketData: wantsData, paper: alpaca.paper }, 'connected to Alpaca');
  return {
    ...(broker ? { broker } : {}),
    ...(market ? { market } : {}),
    ...(sessions ? { calendar: sessions.calendar } : {}),
    close: async () => {
      sessions?.stop();
      await broker?.close();
    },
  };
}
