import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createLedger, type Ledger } from '../../../server/ledger/ledger.ts';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import type { LeaderboardKeys } from '../../../server/leaderboard/publish.ts';
import { clientOrderId } from '../../../server/trading/clientOrderId.ts';
import { createTestDatabase } from '../../support/databases.ts';

export const DOLLAR = 10_000;
export const STARTING_CASH = 100_000 * DOLLAR;
export const MINUTE = Date.UTC(2025, 0, 2, 14, 31);

/** A fresh migrated database, a Redis connection and Redis keys no other test file uses. */
export interface ApiWorld {
  pool: PgPool;
  ledger: Ledger;
  redis: RedisClient;
  redisUrl: string;
  keys: LeaderboardKeys;
  /** Registers a team (in `teams`) and creates its $100,000 book. */
  addTeam(teamId: string, name?: string): Promise<void>;
  /** Buys (or sells) through the ledger: records the intent and applies its fill at `price` dollars. */
  trade(teamId: string, side: 'buy' | 'sell', symbol: string, quantity: number, price: number, minute: number, seq?: number): Promise<void>;
  /** Snapshots every book at the minute with these prices (dollars per share). */
  snapshot(minute: number, prices?: Record<string, number>): Promise<void>;
  /** Another Redis connection, closed with the world. */
  openRedis(): Promise<RedisClient>;
  close(): Promise<void>;
}

export async function openApiWorld(): Promise<ApiWorld> {
  const database = await createTestDatabase();
  const pool = createPgPool({ url: database.url, max: 6, connectTimeoutMs: 5_000 });
  await migrateUp(pool);
  const ledger = createLedger(pool);
  const redisUrl = inject('redisUrl');
  const redisClients: RedisClient[] = [];
  const openRedis = async () => {
    const client = createRedis(redisUrl);
    await connectRedis(client, 5_000);
    redisClients.push(client);
    return client;
  };
  const redis = await openRedis();
  const prefix = `qtc-test-${randomBytes(6).toString('hex')}`;
  return {
    pool,
    ledger,
    redis,
    redisUrl,
    keys: { leaderboard: `${prefix}:leaderboard`, leaderboardChannel: `${prefix}:leaderboard:updates`, activityStream: `${prefix}:activity` },
    async addTeam(teamId, name = teamId) {
      await pool.query('INSERT INTO teams (id, name, repo) VALUES ($1, $2, $3)', [teamId, name, `file:///repos/${teamId}`]);
      await ledger.ensureTeamBook(teamId, STARTING_CASH);
    },
    async trade(teamId, side, symbol, quantity, price, minute, seq = 1) {
      const exact = Math.round(price * DOLLAR);
      const id = clientOrderId(teamId, minute, seq);
      const [recorded] = await ledger.recordIntents([
        { clientOrderId: id, teamId, minute, seq, symbol, side, quantity, type: 'market', limitPrice: null, referencePrice: exact, reason: null },
      ]);
      if (recorded?.outcome !== 'recorded') throw new Error(`intent ${id} not recorded: ${recorded?.reason ?? 'no answer'}`);
      const applied = await ledger.applyFill({ executionId: `x-${id}`, clientOrderId: id, brokerOrderId: `b-${id}`, symbol, side, quantity, price: exact, at: minute + 30_000 });
      if (applied.outcome !== 'applied') throw new Error(`fill of ${id} not applied: ${applied.reason ?? applied.outcome}`);
    },
    async snapshot(minute, prices = {}) {
      await ledger.snapshotEquity(minute, Object.fromEntries(Object.entries(prices).map(([symbol, price]) => [symbol, Math.round(price * DOLLAR)])));
    },
    openRedis,
    async close() {
      await Promise.all(redisClients.map((client) => client.quit().catch(() => client.disconnect())));
      await pool.end();
      await database.drop();
    },
  };
}
