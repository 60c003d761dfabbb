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
});
