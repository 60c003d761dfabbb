import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { readPublishedMarket } from '../../../data/postgres/publishedMarket.ts';
import { parseRegistry } from '../../../registry/load.ts';
import { openRegistry } from '../../../registry/role.ts';
import type { Registry } from '../../../registry/schema.ts';
import { Lifecycle } from '../../../server/lifecycle.ts';
import { marketInForce, publishMarketWithRegistry } from '../../../server/trading/venue/marketInForce.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { silentLog } from '../../support/silentLog.ts';
import { makeTempDir } from '../../support/tempDir.ts';

/**
 * One market for every machine: the control role publishes the replay CSV it reads with each registry
 * version; a worker builds its market from what was published, with no file of its own (the control
 * host's file may be gone, and a worker's own REPLAY_FILE is ignored).
 */

const REGISTRY = (marketData: string) => `competition:
  name: Market Cup
  universe: [ SPY, QQQ ]
  marketData: ${marketData}
teams:
  - id: alpha
    name: Alpha
    repo: https://git.example.org/alpha.git
`;

function csv(prices: readonly number[]): string {
  const rows = ['timestamp,symbol,open,high,low,close,volume'];
  prices.forEach((price, index) => {
    const minute = `13:${String(30 + index).padStart(2, '0')}`;
    rows.push(`2025-07-07T${minute}:00Z,SPY,${String(price)},${String(price + 1)},${String(price - 1)},${String(price + 0.25)},1000`);
    rows.push(`2025-07-07T${minute}:00Z,QQQ,${String(price * 2)},${String(price * 2 + 1)},${String(price * 2 - 1)},${String(price * 2 + 0.5)},500`);
  });
  return `${rows.join('\n')}\n`;
}
const FIRST = Date.UTC(2025, 6, 7, 13, 30);

function registryOf(text: string): Registry {
  const parsed = parseRegistry(text);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return parsed.registry;
}

describe('the market in force, published by the control role for workers on any machine', { timeout: 60_000 }, () => {
  const temp = makeTempDir('qtc-market-in-force-');
  const registryFile = path.join(temp.dir, 'team_registry.yaml');
  let database: { url: string; drop: () => Promise<void> };
  let pool: PgPool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
    await migrateUp(pool);
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
    temp.remove();
  });

  async function control(replayFile: string | undefined): Promise<void> {
    const lifecycle = new Lifecycle();
    try {
      await openRegistry({ pool, logger: silentLog, lifecycle, control: true, file: registryFile, alongside: publishMarketWithRegistry({ replayFile, registryFile }) });
    } finally {
      await lifecycle.closeAll();
    }
  }

  it("a worker replays the bars of the control host's REPLAY_FILE after that file is gone, ignoring a REPLAY_FILE of its own", async () => {
    writeFileSync(registryFile, REGISTRY('{ source: simulator, seed: 3 }'));
    const controlFile = path.join(temp.dir, 'control-bars.csv');
    writeFileSync(controlFile, csv([100, 101, 102]));
    await control(controlFile);
    const published = await readPublishedMarket(pool);
    expect(published?.replay).toMatchObject({ name: controlFile, csv: csv([100, 101, 102]) });
    rmSync(controlFile);

    const workerFile = path.join(temp.dir, 'worker-bars.csv');
    writeFileSync(workerFile, csv([500, 501, 502]));
    const registry = registryOf(REGISTRY('{ source: simulator, seed: 3 }'));
    const market = await marketInForce(pool, registry, { replayFile: workerFile, registryFile: '/nonexistent/team_registry.yaml' }, silentLog);
    expect(market.name).toBe('replay');
    const snapshot = await market.barsForMinute(FIRST + 60_000, ['SPY', 'QQQ']);
    expect(snapshot.bars.get('SPY')).toMatchObject({ open: 101, close: 101.25 });
    expect(snapshot.bars.get('QQQ')).toMatchObject({ open: 202, close: 202.5 });
  });

  it("the registry's own replay file is published the same way; without a replay the workers get the registry's simulator", async () => {
    const registryReplay = path.join(temp.dir, 'registry-bars.csv');
    writeFileSync(registryReplay, csv([7, 8]));
    writeFileSync(registryFile, REGISTRY('{ source: replay, replayFile: registry-bars.csv }'));
    await control(undefined);
    expect((await readPublishedMarket(pool))?.replay?.csv).toBe(csv([7, 8]));

    writeFileSync(registryFile, REGISTRY('{ source: simulator, seed: 3 }'));
    await control(undefined);
    expect((await readPublishedMarket(pool))?.replay).toBeNull();
    const registry = registryOf(REGISTRY('{ source: simulator, seed: 3 }'));
    const market = await marketInForce(pool, registry, { replayFile: registryReplay, registryFile: '/nonexistent/team_registry.yaml' }, silentLog);
    expect(market.name).toBe('simulator');
  });

  it('a replay file the control host cannot read or parse stops the publication, with its reason', async () => {
    writeFileSync(registryFile, REGISTRY('{ source: simulator, seed: 3 }'));
    await expect(control(path.join(temp.dir, 'missing.csv'))).rejects.toThrow(/cannot read the replay file .*missing\.csv: ENOENT/);
    const broken = path.join(temp.dir, 'broken.csv');
    writeFileSync(broken, 'not,a,bars,file\n1,2,3,4\n');
    await expect(control(broken)).rejects.toThrow(/broken\.csv/);
    expect((await readPublishedMarket(pool))?.replay).toBeNull();
  });
});
