import type pg from 'pg';
import { recordAuditEvent, type AuditEvent } from '../data/postgres/audit.ts';
import type { PgPool } from '../data/postgres/pool.ts';

/** Runs `work` in one transaction on one client; rolls back on any error and rethrows it. */
export async function inTransaction<T>(pool: PgPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * An audit event written inside the caller's transaction, so the change and its record commit
 * together. recordAuditEvent only calls `query`, which a pool client has with the same signature.
 */
export function auditInTransaction(client: pg.PoolClient, event: AuditEvent): Promise<void> {
  return recordAuditEvent(client as unknown as PgPool, event);
}
