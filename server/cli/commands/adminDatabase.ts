// The database connection of `qtc admin keys …`: DATABASE_URL, or the embedded PostgreSQL of QTC_DATA_DIR.
import pino from 'pino';
import { startEmbeddedPostgres } from '../../../data/embedded/postgresCluster.ts';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { redactUrl, type Config } from '../../config/config.ts';
import { Lifecycle } from '../../lifecycle.ts';

/**
 * Runs `work` with a migrated pool, then releases everything. A running embedded PostgreSQL is used
 * and left running (a `qtc all` or `qtc worker` may be using it, even when its starter is gone); one
 * that is not running is started for the command and stopped after.
 * Service messages go to stderr, so stdout carries only the command's output.
 */
export async function withAdminDatabase<T>(config: Config, work: (pool: PgPool) => Promise<T>): Promise<T> {
  const log = pino({ level: 'warn', base: null }, pino.destination(2));
  const lifecycle = new Lifecycle();
  try {
    let url = config.databaseUrl;
    if (url === undefined) {
      const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, log, adoptOrphan: false });
      lifecycle.onClose('embedded postgres', () => embedded.stop());
      url = embedded.url;
    }
    const pool = createPgPool({ url, max: 2, connectTimeoutMs: config.serviceConnectTimeoutMs });
    lifecycle.onClose('postgres pool', () => pool.end());
    try {
      await pool.query('SELECT 1');
      await migrateUp(pool);
    } catch (error) {
      throw new Error(`cannot use PostgreSQL at ${redactUrl(url)}: ${(error as Error).message || String(error)}`, { cause: error });
    }
    return await work(pool);
  } finally {
    await lifecycle.closeAll();
  }
}
