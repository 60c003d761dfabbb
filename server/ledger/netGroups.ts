/**
 * The netted venue's groups in Postgres (table `net_groups`, migration 1763800009000): what a live worker
 * needs to survive kill -9 between any two steps of netting. First write wins for the group and its
 * allocation; the net order's state only moves forward (row locked while compared).
 */
import type { NetGroup } from '../trading/netting/netting.ts';
import { groupKey, isForward, type NetRecord, type NetStore } from '../trading/netting/netStore.ts';
import type { BrokerOrderState, Fill } from '../trading/types.ts';
import type { PgPool } from '../../data/postgres/pool.ts';
import { query } from '../../data/postgres/query.ts';
import { inTransaction } from '../../data/postgres/transaction.ts';

interface Row {
  minute: Date;
  symbol: string;
  grp: NetGroup;
  state: BrokerOrderState | null;
  allocation: Fill[] | null;
  settled_at: Date | null;
}

const COLUMNS = 'minute, symbol, grp, state, allocation, settled_at';

const recordOf = (row: Row): NetRecord => ({
  key: groupKey(row.minute.getTime(), row.symbol),
  group: row.grp,
  state: row.state,
  allocation: row.allocation,
  settled: row.settled_at !== null,
});

function parseKey(key: string): [Date, string] {
  const bar = key.indexOf('|');
  return [new Date(Number(key.slice(0, bar))), key.slice(bar + 1)];
}

export class PgNetStore implements NetStore {
  readonly #pool: PgPool;

  constructor(pool: PgPool) {
    this.#pool = pool;
  }

  async recordGroups(groups: readonly NetGroup[]): Promise<NetRecord[]> {
    if (groups.length === 0) return [];
    await query(
      this.#pool,
      `INSERT INTO net_groups (minute, symbol, net_client_order_id, grp)
       SELECT to_timestamp(m / 1000.0), s, n, g FROM unnest($1::bigint[], $2::text[], $3::text[], $4::jsonb[]) AS t(m, s, n, g)
       ON CONFLICT (minute, symbol) DO NOTHING`,
      [groups.map((g) => g.minute), groups.map((g) => g.symbol), groups.map((g) => g.netClientOrderId), groups.map((g) => JSON.stringify(g))],
    );
    return this.find(groups.map((group) => groupKey(group.minute, group.symbol)));
  }

  async find(keys: readonly string[]): Promise<NetRecord[]> {
    if (keys.length === 0) return [];
    const parsed = keys.map(parseKey);
    const rows = await query<Row>(this.#pool, `SELECT ${COLUMNS} FROM net_groups WHERE (minute, symbol) IN (SELECT * FROM unnest($1::timestamptz[], $2::text[]))`, [
      parsed.map(([minute]) => minute),
      parsed.map(([, symbol]) => symbol),
    ]);
    const byKey = new Map(rows.map((row) => [groupKey(row.minute.getTime(), row.symbol), recordOf(row)]));
    return keys.flatMap((key) => (byKey.has(key) ? [byKey.get(key)!] : []));
  }

  recordNetState(state: BrokerOrderState): Promise<boolean> {
    return inTransaction(this.#pool, async (client) => {
      const [row] = await query<{ state: BrokerOrderState | null }>(client, 'SELECT state FROM net_groups WHERE net_client_order_id = $1 FOR UPDATE', [state.clientOrderId]);
      if (row === undefined) return false;
      if (isForward(row.state, state)) await query(client, 'UPDATE net_groups SET state = $2 WHERE net_client_order_id = $1', [state.clientOrderId, JSON.stringify(state)]);
      return true;
    });
  }

  async recordAllocation(key: string, fills: readonly Fill[]): Promise<Fill[]> {
    const [minute, symbol] = parseKey(key);
    const [row] = await query<{ allocation: Fill[] }>(
      this.#pool,
      `UPDATE net_groups SET allocation = COALESCE(allocation, $3::jsonb) WHERE minute = $1 AND symbol = $2 RETURNING allocation`,
      [minute, symbol, JSON.stringify(fills)],
    );
    if (row === undefined) throw new Error(`no net group ${key}`);
    return row.allocation;
  }

  async markSettled(key: string): Promise<void> {
    const [minute, symbol] = parseKey(key);
    await query(this.#pool, 'UPDATE net_groups SET settled_at = COALESCE(settled_at, now()) WHERE minute = $1 AND symbol = $2', [minute, symbol]);
  }

  async unsettled(): Promise<NetRecord[]> {
    const rows = await query<Row>(this.#pool, `SELECT ${COLUMNS} FROM net_groups WHERE settled_at IS NULL ORDER BY minute, symbol`);
    return rows.map(recordOf);
  }

  /** Every group, settled or not (tests). */
  async all(): Promise<NetRecord[]> {
    return (await query<Row>(this.#pool, `SELECT ${COLUMNS} FROM net_groups ORDER BY minute, symbol`)).map(recordOf);
  }
}
