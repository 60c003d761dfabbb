import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordAuditEvent } from '../../data/postgres/audit.ts';
import { MIGRATIONS_DIR, migrateUp } from '../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../data/postgres/pool.ts';
import { createTestDatabase } from '../support/databases.ts';

const migrationNames = readdirSync(MIGRATIONS_DIR)
  .filter((file) => file.endsWith('.sql'))
  .map((file) => file.replace(/\.sql$/, ''))
  .sort();

describe('schema migrations on a real Postgres', () => {
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let pool: PgPool;

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
  });

  it('applies every migration to an empty database, concurrently started processes included, exactly once', async () => {
    const second = createPgPool({ url: database.url, max: 2, connectTimeoutMs: 5_000 });
    try {
      const [a, b] = await Promise.all([migrateUp(pool), migrateUp(second)]);
      const appliedNames = [...a, ...b].map((m) => m.name);
      expect(appliedNames).toContain('1763800000000_audit-events');
      expect(new Set(appliedNames).size).toBe(appliedNames.length);
    } finally {
      await second.end();
    }
    const { rows } = await pool.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY run_on');
    expect(rows.map((r) => r.name)).toEqual(migrationNames);
  });

  it('applies nothing the second time', async () => {
    expect(await migrateUp(pool)).toEqual([]);
  });

  it('creates a working audit log that rejects malformed kinds', async () => {
    await recordAuditEvent(pool, { actor: 'system', kind: 'server.started', details: { pid: 1 } });
    const { rows } = await pool.query<{ actor: string; kind: string; details: unknown }>('SELECT actor, kind, details FROM audit_events');
    expect(rows).toEqual([{ actor: 'system', kind: 'server.started', details: { pid: 1 } }]);
    await expect(recordAuditEvent(pool, { actor: 'system', kind: 'Not A Kind' })).rejects.toThrow(/check constraint/);
  });

  it('keeps a client order id to 1–128 of A-Z, a-z, 0-9, _ and - (the cheap form of the check)', async () => {
    await pool.query(`INSERT INTO teams (id, name, repo) VALUES ('id-check', 'Id check', 'file:///dev/null')`);
    const insertOrder = (clientOrderId: string) =>
      pool.query(
        `INSERT INTO orders (client_order_id, team_id, minute, seq, symbol, side, quantity, type, reference_price, status, reserved_quantity)
         VALUES ($1, 'id-check', now(), (SELECT count(*) + 1 FROM orders), 'SPY', 'buy', 1, 'market', 1, 'pending_submit', 1)`,
        [clientOrderId],
      );
    for (const good of ['a', 'qtc-Team_1-20250708T1331-1', 'x'.repeat(128)]) await insertOrder(good);
    for (const bad of ['', 'x'.repeat(129), 'has space', 'semi;colon', 'dot.ted', 'é', 'line\nbreak', 'x'.repeat(127) + '\u00e9']) {
      await expect(insertOrder(bad), JSON.stringify(bad)).rejects.toThrow(/orders_client_order_id_check/);
    }
    // An update re-checks the row, and a good row still passes.
    await pool.query(`UPDATE orders SET status = 'accepted' WHERE team_id = 'id-check'`);
  });

  it("checks an order row without a bounded regular-expression repeat (Postgres re-checks every CHECK on each of a minute's order updates)", async () => {
    // `{1,128}` made Postgres's regex engine build ~128 states: ~18 µs a row, half of an order update.
    const { rows } = await pool.query<{ name: string; definition: string }>(
      `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint WHERE conrelid = 'orders'::regclass AND contype = 'c'`,
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.filter((row) => /~.*\{\d+(,\d*)?\}/.test(row.definition))).toEqual([]);
  });
});
