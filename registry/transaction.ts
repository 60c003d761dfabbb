import type pg from 'pg';
import { recordAuditEvent, type AuditEvent } from '../data/postgres/audit.ts';

export { inTransaction } from '../data/postgres/transaction.ts';

/** An audit event written inside the caller's transaction, so the change and its record commit together. */
export function auditInTransaction(client: pg.PoolClient, event: AuditEvent): Promise<void> {
  return recordAuditEvent(client, event);
}
