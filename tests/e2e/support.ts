/**
 * A running competition server for browser tests: the HTTP app as `qtc all` builds it (plugins, pages,
 * every live route) on a fresh Postgres database and its own Redis keys, a ledger to trade through,
 * and a headless Chromium. Ticks are made the way the minute job makes them: orders and fills through
 * the ledger, equity snapshots, then computeAndPublishLeaderboard.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { expect, inject } from 'vitest';
import { createLedger, type Ledger } from '../../server/ledger/ledger.ts';
import { migrateUp } from '../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../data/postgres/pool.ts';
import { connectRedis, createRedis, type RedisClient } from '../../data/redis/client.ts';
import { ApiKeyStore } from '../../registry/keys/store.ts';
import { AdminKeys } from '../../server/auth/adminKeys.ts';
import { createAuthenticator } from '../../server/auth/authenticate.ts';
import { buildHttpApp } from '../../server/http/app.ts';
import { registerLiveApi } from '../../server/http/routes/liveApi.ts';
import { computeAndPublishLeaderboard, type LeaderboardKeys } from '../../server/leaderboard/publish.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { clientOrderId } from '../../server/trading/clientOrderId.ts';
import { toMoney } from '../../server/trading/money.ts';
import type { OrderIntent, Side } from '../../server/trading/types.ts';
import { createTestDatabase } from '../support/databases.ts';
import { silentLog } from '../support/silentLog.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);

/** A describe title that says why the tests are skipped where Chromium is missing. */
export function browserSuiteTitle(title: string): string {
  return haveChromium ? title : `${title} — SKIPPED: ${CHROMIUM} not found (apt-get install --no-install-recommends chromium)`;
}

/** Optional: a folder to keep screenshots of the pages in (QTC_E2E_SCREENSHOTS=dir). */
export const screenshotDir = process.env.QTC_E2E_SCREENSHOTS;

export interface E2eWorld {
  pool: PgPool;
  redis: RedisClient;
  ledger: Ledger;
  apiKeys: ApiKeyStore;
  keys: LeaderboardKeys;
  /** http://127.0.0.1:<port> */
  address: string;
  browser: Browser;
  /** An order recorded through the ledger; when `fillPrice` is given, filled there at once. Returns the ledger's outcome. */
  trade(teamId: string, minute: number, seq: number, side: Side, symbol: string, quantity: number, price: number, fillPrice?: number): Promise<string>;
  /** The end of a tick: every book marked to market at `prices` (dollars), then the board computed and published. */
  closeMinute(minute: number, prices: Record<string, number>): Promise<void>;
  close(): Promise<void>;
}

export async function startE2eWorld(teams: ReadonlyArray<readonly [id: string, name: string]>): Promise<E2eWorld> {
  const database = await createTestDatabase();
  const pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
  const connections: RedisClient[] = [];
  const openRedis = (): RedisClient => {
    const client = createRedis(inject('redisUrl'));
    connections.push(client);
    return client;
  };
  await migrateUp(pool);
  const redis = openRedis();
  await connectRedis(redis, 5_000);
  const ledger = createLedger(pool);
  for (const [id, name] of teams) await pool.query('INSERT INTO teams (id, name, repo) VALUES ($1, $2, $3)', [id, name, `file:///repos/${id}`]);
  await ledger.ensureTeamBooks(
    teams.map(([id]) => id),
    toMoney(100_000),
  );

  const prefix = `e2e-${randomBytes(4).toString('hex')}`;
  const keys: LeaderboardKeys = { leaderboard: `${prefix}:leaderboard`, leaderboardChannel: `${prefix}:leaderboard:updates`, activityStream: `${prefix}:activity` };
  const app = buildHttpApp({ logger: silentLog, metrics: createMetrics(), probes: {}, plugins: { rateLimitRedis: redis, rateLimitPrefix: `${prefix}:rl:` } });
  const apiKeys = new ApiKeyStore({ pool, graceMs: 0 });
  const auth = createAuthenticator({ verifyTeamKey: (key) => apiKeys.verify(key), adminKeys: new AdminKeys([]) });
  registerLiveApi(app, { pg: pool, redis, openRedis, auth, keys });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });

  return {
    pool,
    redis,
    ledger,
    apiKeys,
    keys,
    address,
    browser,
    async trade(teamId, minute, seq, side, symbol, quantity, price, fillPrice) {
      const intent: OrderIntent = {
        clientOrderId: clientOrderId(teamId, minute, seq),
        teamId,
        minute,
        seq,
        symbol,
        side,
        quantity,
        type: 'market',
        limitPrice: null,
        referencePrice: toMoney(price),
        reason: null,
      };
      const [recorded] = await ledger.recordIntents([intent]);
      if (recorded?.outcome === 'recorded' && fillPrice !== undefined) {
        const fill = {
          executionId: `x-${intent.clientOrderId}`,
          clientOrderId: intent.clientOrderId,
          brokerOrderId: `b-${intent.clientOrderId}`,
          symbol,
          side,
          quantity,
          price: toMoney(fillPrice),
          at: minute + 30_000,
        };
        expect(await ledger.applyFill(fill)).toMatchObject({ outcome: 'applied' });
      }
      return recorded?.outcome ?? 'missing';
    },
    async closeMinute(minute, prices) {
      await ledger.snapshotEquity(minute, Object.fromEntries(Object.entries(prices).map(([symbol, dollars]) => [symbol, toMoney(dollars)])));
      await computeAndPublishLeaderboard(pool, redis, minute, { keys });
    },
    async close() {
      await browser.close();
      await app.close();
      for (const client of connections) client.disconnect();
      await pool.end();
      await database.drop();
    },
  };
}
