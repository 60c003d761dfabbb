// The reads every minute's books stage makes must find the minute's rows through an index: on a
// sequential scan they read the whole season's fills and orders, ~40 ms each after a week at 1,000
// teams, and more with every minute. The planner is told to avoid scans (enable_seqscan off), and the
// plan must then look the rows up in an index that leads with their time. Any other index would be
// walked whole (Postgres also checks a condition on a later column of an index, but from its start).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../../data/postgres/transaction.ts';
import { MINUTE_QUERIES } from '../../../server/tick/activityEvents.ts';
import { openLedgerDatabase, type LedgerDatabase } from '../ledger/support.ts';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  Plans?: PlanNode[];
}

function nodesOf(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodesOf)];
}

describe("the books stage's per-minute reads use an index", () => {
  let db: LedgerDatabase;

  beforeAll(async () => {
    db = await openLedgerDatabase();
  });
  afterAll(async () => {
    await db.close();
  });

  async function planOf(sql: string, params: unknown[]): Promise<PlanNode[]> {
    return inTransaction(db.pool, async (client) => {
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      return nodesOf(rows[0]!['QUERY PLAN'][0]!.Plan);
    });
  }

  async function indexesLeadingWith(table: string, column: string): Promise<string[]> {
    const { rows } = await db.pool.query<{ name: string }>(
      `SELECT i.relname AS name FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
        WHERE t.relname = $1 AND a.attname = $2`,
      [table, column],
    );
    return rows.map((row) => row.name);
  }

  const minute = new Date(Date.UTC(2025, 6, 8, 13, 31));
  const cases = [
    { name: "the minute's trades", sql: MINUTE_QUERIES.trades, params: [minute, new Date(minute.getTime() + 60_000)], table: 'fills', column: 'executed_at' },
    { name: "the minute's orders the broker rejected", sql: MINUTE_QUERIES.refusals, params: [minute], table: 'orders', column: 'minute' },
  ];
  it.each(cases)('$name: $table looked up by $column in an index', async ({ sql, params, table, column }) => {
    const nodes = await planOf(sql, params);
    const leading = await indexesLeadingWith(table, column);
    // A bitmap heap scan's lookup is in its Bitmap Index Scan child, which names the index, not the table.
    const lookups = nodes.filter((node) => node['Index Name'] !== undefined && leading.includes(node['Index Name']) && node['Index Cond']?.includes(column) === true);
    expect(lookups.length, JSON.stringify(nodes)).toBeGreaterThan(0);
    expect(
      nodes.filter((node) => node['Node Type'] === 'Seq Scan' && node['Relation Name'] === table),
      JSON.stringify(nodes),
    ).toEqual([]);
  });
});
