/**
 * What the tick needs from the registry in force and the configuration: the competition's settings and
 * the market the bars come from.
 */
import path from 'node:path';
import { MarketSimulator } from '../../data/market/simulator.ts';
import { ReplaySource } from '../../data/market/replaySource.ts';
import type { MarketDataSource } from '../../data/market/source.ts';
import type { Registry } from '../../registry/schema.ts';
import { marketBuyCollarBps } from '../trading/brokers/sim/fillModel.ts';
import { toMoney } from '../trading/money.ts';
import type { CompetitionSettings } from './tickTypes.ts';

export function competitionSettings(registry: Registry, slippageBps: number): CompetitionSettings {
  const { competition } = registry;
  return {
    universe: competition.universe,
    startingCash: toMoney(competition.startingCash),
    limits: competition.limits,
    risk: competition.risk,
    marketBuyBufferBps: marketBuyCollarBps(slippageBps),
  };
}

export interface MarketChoice {
  /** REPLAY_FILE: replay this CSV whatever the registry says. */
  replayFile: string | undefined;
  /** The registry file, against which a relative `marketData.replayFile` is resolved. */
  registryFile: string;
}

/** The CSV file a replay market reads (REPLAY_FILE, else the registry's `marketData.replayFile`); undefined when the market is not a replay. */
export function replayFileFor(registry: Registry, choice: MarketChoice): string | undefined {
  const marketData = registry.competition.marketData;
  return choice.replayFile ?? (marketData.source === 'replay' ? path.resolve(path.dirname(choice.registryFile), marketData.replayFile ?? '') : undefined);
}

/**
 * The market source named by REPLAY_FILE or the registry's `competition.marketData`. Alpaca market data
 * needs credentials and a limiter shared with the broker, so the composition root passes that source in.
 */
export async function createMarketSource(registry: Registry, choice: MarketChoice): Promise<MarketDataSource> {
  const marketData = registry.competition.marketData;
  const replayFile = replayFileFor(registry, choice);
  if (replayFile !== undefined) return ReplaySource.fromCsvFiles([replayFile]);
  if (marketData.source === 'simulator') return new MarketSimulator({ seed: marketData.seed ?? 1 });
  throw new Error(
    'competition.marketData.source is alpaca: start the worker with the Alpaca market data source (set ALPACA_KEY_ID and ALPACA_SECRET_KEY), or choose simulator or replay in the registry',
  );
}
