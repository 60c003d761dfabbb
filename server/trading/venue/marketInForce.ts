/**
 * One market for every process of a competition. The control role reads the replay CSV (REPLAY_FILE or
 * the registry's `marketData.replayFile`) from its own disk and publishes its text with each registry
 * version; every worker, on any machine, builds its market from what was published, never from a file
 * of its own disk (a worker once needed the CSV at the same path on every machine, and one without it
 * would have traded the simulator's bars).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { parseBarsCsv } from '../../../data/market/csvBars.ts';
import { ReplaySource } from '../../../data/market/replaySource.ts';
import type { MarketDataSource } from '../../../data/market/source.ts';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { readPublishedMarket, writePublishedMarket } from '../../../data/postgres/publishedMarket.ts';
import type { Registry } from '../../../registry/schema.ts';
import type { PublishAlongside } from '../../../registry/versions.ts';
import { createMarketSource, replayFileFor, type MarketChoice } from '../../tick/competition.ts';

/** For the control role: writes the market in force with each registry version it publishes. */
export function publishMarketWithRegistry(choice: MarketChoice): PublishAlongside {
  return async (client, registry) => {
    const file = replayFileFor(registry, choice);
    if (file === undefined) return writePublishedMarket(client, null);
    let csv: string;
    try {
      csv = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`cannot read the replay file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { cause: error });
    }
    // Refused here, on the control host, rather than by every worker at start.
    parseBarsCsv(csv, file);
    await writePublishedMarket(client, { name: file, sha256: createHash('sha256').update(csv).digest('hex'), csv });
  };
}

/**
 * For a worker: the market the control role published. A database where no control process has
 * published one yet (written before this table existed) falls back to this process's own choice.
 */
export async function marketInForce(pool: PgPool, registry: Registry, choice: MarketChoice, logger: Logger): Promise<MarketDataSource> {
  const published = await readPublishedMarket(pool);
  if (published === undefined) return createMarketSource(registry, choice);
  if (choice.replayFile !== undefined && published.replay?.name !== choice.replayFile) {
    logger.warn(
      { replayFile: choice.replayFile, published: published.replay?.name ?? null },
      'REPLAY_FILE of this process is ignored: workers trade the market the control process published',
    );
  }
  if (published.replay === null) {
    if (registry.competition.marketData.source === 'replay')
      throw new Error('the registry names a replay market but the control process published no replay bars: restart the control process (qtc all) with the current registry');
    return createMarketSource(registry, { ...choice, replayFile: undefined });
  }
  logger.info({ file: published.replay.name, sha256: published.replay.sha256 }, 'replaying the bars the control process published');
  return new ReplaySource(parseBarsCsv(published.replay.csv, published.replay.name));
}
