/**
 * The last rejected edit of team_registry.yaml as every process can see it. Only the control process
 * reads the file; it audits each load (`registry.loaded`), each rejection (`registry.rejected`, with
 * the errors) and the file's return to the registry in force (`registry.restored`). The newest of the
 * three says whether the file stands rejected: API replicas show that, as the control process does.
 */
import type { Queryable } from '../data/postgres/transaction.ts';
import type { RegistryError } from './load.ts';
import type { RegistryFailure } from './store.ts';

/** Registry errors from JSON (the audit trail, a relayed answer): entries without a message are left out. */
export function registryErrorsOf(value: unknown): RegistryError[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown) => {
    if (typeof item !== 'object' || item === null) return [];
    const { path, line, column, message } = item as Record<string, unknown>;
    if (typeof message !== 'string') return [];
    return [{ path: typeof path === 'string' ? path : '', line: typeof line === 'number' ? line : 0, column: typeof column === 'number' ? column : 0, message }];
  });
}

/** The file's last rejected edit, or null when the newest word on it is a load or a return to the registry in force. */
export async function readRejectedEdit(db: Queryable): Promise<RegistryFailure | null> {
  const { rows } = await db.query<{ kind: string; occurred_at: Date; details: { errors?: unknown } }>(
    `SELECT kind, occurred_at, details FROM audit_events
      WHERE kind IN ('registry.loaded', 'registry.rejected', 'registry.restored')
      ORDER BY occurred_at DESC, id DESC LIMIT 1`,
  );
  const row = rows[0];
  if (row?.kind !== 'registry.rejected') return null;
  return { at: row.occurred_at, errors: registryErrorsOf(row.details.errors) };
}
