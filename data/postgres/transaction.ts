import type pg from 'pg';
import type { PgPool } from './pool.ts';

/** What runs SQL: the pool, or a client inside a transaction. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/**
 * Runs `work` in one transaction on one client; rolls back on any error and rethrows it. `snapshot` runs
 * it as a read-only REPEATABLE READ transaction: every statement sees the same committed state.
 */
export async function inTransaction<T>(pool: PgPool, work: (client: pg.PoolClient) => Promise<T>, snapshot = false): Promise<T> {
  const client = await pool.connect();
  let broken = false;
  try {
    await client.query(snapshot ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    // A connection that cannot even roll back (lost in a server restart) is not given back to the pool.
    await client.query('ROLLBACK').catch(() => {
      broken = true;
    });
    throw error;
  } finally {
    client.release(broken);
  }
}
