import type { Queryable } from './transaction.ts';

export interface AuditEvent {
  actor: string;
  kind: string;
  subject?: string;
  details?: Record<string, unknown>;
}

export async function recordAuditEvent(pool: Queryable, event: AuditEvent): Promise<void> {
  await pool.query('INSERT INTO audit_events (actor, kind, subject, details) VALUES ($1, $2, $3, $4)', [
    event.actor,
    event.kind,
    event.subject ?? null,
    JSON.stringify(event.details ?? {}),
  ]);
}
