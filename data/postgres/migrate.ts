import path from 'node:path';
import { runner } from 'node-pg-migrate';
import type { PgPool } from './pool.ts';

export const MIGRATIONS_DIR = path.join(import.meta.dirname, 'migrations');
const MIGRATIONS_TABLE = 'schema_migrations';

export interface AppliedMigration {
  name: string;
}

/**
 * Applies every pending migration in one transaction, under node-pg-migrate's advisory lock,
 * so several processes starting at once apply each migration exactly once.
 */
export async function migrateUp(pool: PgPool, log?: (message: string) => void): Promise<AppliedMigration[]> {
  const client = await pool.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: MIGRATIONS_DIR,
      migrationsTable: MIGRATIONS_TABLE,
      direction: 'up',
      singleTransaction: true,
      // A second process starting at the same moment waits for the first, then finds nothing to do.
      advisoryLockMode: 'wait',
      checkOrder: true,
      verbose: false,
      log: log ?? (() => undefined),
    });
    return applied.map((migration) => ({ name: migration.name }));
  } finally {
    client.release();
  }
}
