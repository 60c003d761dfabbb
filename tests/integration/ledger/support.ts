import { createLedger, type Ledger } from '../../../server/ledger/ledger.ts';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { clientOrderId } from '../../../server/trading/clientOrderId.ts';
import type { Fill, OrderIntent } from '../../../server/trading/types.ts';
import { createTestDatabase } from '../../support/databases.ts';

export const DOLLAR = 10_000;
export const STARTING_CASH = 100_000 * DOLLAR;
export const MINUTE = Date.UTC(2025, 0, 2, 14, 31);

export interface LedgerDatabase {
  url: string;
  pool: PgPool;
  ledger: Ledger;
  /** A second, independent pool on the same database (another process, as far as Postgres can tell). */
  openPool(): PgPool;
  /** Registers a team and creates its book with $100,000. */
  addTeam(teamId: string): Promise<void>;
  close(): Promise<void>;
}

export async function openLedgerDatabase(): Promise<LedgerDatabase> {
  const database = await createTestDatabase();
  const pools: PgPool[] = [];
  const openPool = () => {
    const pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
    pools.push(pool);
    return pool;
  };
  const pool = openPool();
  await migrateUp(pool);
  const ledger = createLedger(pool);
  return {
    url: database.url,
    pool,
    ledger,
    openPool,
    async addTeam(teamId) {
      await pool.query('INSERT INTO teams (id, name, repo) VALUES ($1, $1, $2)', [teamId, `file:///repos/${teamId}`]);
      await ledger.ensureTeamBook(teamId, STARTING_CASH);
    },
    async close() {
      await Promise.all(pools.map((p) => p.end()));
      await database.drop();
    },
  };
}

export function intentFor(teamId: string, seq: number, overrides: Partial<OrderIntent> = {}, minute = MINUTE): OrderIntent {
  return {
    clientOrderId: clientOrderId(teamId, minute, seq),
    teamId,
    minute,
    seq,
    symbol: 'SPY',
    side: 'buy',
    quantity: 10,
    type: 'market',
    limitPrice: null,
    referencePrice: 100 * DOLLAR,
    reason: null,
    ...overrides,
  };
}

export function fillFor(intent: OrderIntent, executionId: string, quantity: number, price: number): Fill {
  return {
    executionId,
    clientOrderId: intent.clientOrderId,
    brokerOrderId: `b-${intent.clientOrderId}`,
    symbol: intent.symbol,
    side: intent.side,
    quantity,
    price,
    at: intent.minute + 60_000,
  };
}

export { seededRandom } from '../../support/seededRandom.ts';
