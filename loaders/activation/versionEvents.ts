/**
 * Version events for people: every activation (a push, an admin's rollback) and every rejection is
 * announced on a Postgres channel when its transaction commits, whichever process recorded it (the
 * Git sync, `qtc versions rollback`, the admin API). The live API turns each notice into a
 * `version_activated` / `version_rejected` activity event (server/live/versionAnnouncer.ts).
 */
import type pg from 'pg';
import type { PgPool } from '../../data/postgres/pool.ts';

/** Postgres channel told (on commit) of every recorded version outcome. */
export const VERSION_EVENT_CHANNEL = 'qtc_strategy_version_event';

export interface VersionEventNotice {
  teamId: string;
  versionId: number;
  status: 'active' | 'rejected';
  via: 'push' | 'rollback';
  /** The recording transaction's id: unique per announcement, so replicas can publish it once. */
  token: string;
}

/** Queues the notice in the caller's transaction: delivered only if it commits. */
export async function notifyVersionEvent(client: pg.PoolClient, notice: Omit<VersionEventNotice, 'token'>): Promise<void> {
  await client.query(`SELECT pg_notify($1, ($2::jsonb || jsonb_build_object('token', txid_current()::text))::text)`, [VERSION_EVENT_CHANNEL, JSON.stringify(notice)]);
}

function isNotice(value: unknown): value is VersionEventNotice {
  if (typeof value !== 'object' || value === null) return false;
  const notice = value as Record<string, unknown>;
  return (
    typeof notice.teamId === 'string' &&
    typeof notice.versionId === 'number' &&
    (notice.status === 'active' || notice.status === 'rejected') &&
    (notice.via === 'push' || notice.via === 'rollback') &&
    typeof notice.token === 'string'
  );
}

/**
 * Calls `onNotice` for every version outcome any process records (after its commit). Holds one
 * connection of the pool until closed.
 */
export async function watchVersionEvents(pool: PgPool, onNotice: (notice: VersionEventNotice) => void, onLost?: (error: Error) => void): Promise<{ close: () => Promise<void> }> {
  const client = await pool.connect();
  let closed = false;
  const listener = (message: pg.Notification) => {
    if (message.channel !== VERSION_EVENT_CHANNEL || message.payload === undefined) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(message.payload);
    } catch {
      return; // someone else's NOTIFY
    }
    if (isNotice(parsed)) onNotice(parsed);
  };
  // A connection that breaks (Postgres restarting) must not crash the process; the caller may listen again.
  const ignore = (error: Error) => {
    if (closed) return;
    closed = true;
    client.release(error);
    onLost?.(error);
  };
  client.on('error', ignore);
  client.on('notification', listener);
  try {
    await client.query(`LISTEN ${VERSION_EVENT_CHANNEL}`);
  } catch (error) {
    client.off('notification', listener);
    client.release(true);
    throw error;
  }
  return {
    close: async () => {
      client.off('notification', listener);
      if (closed) return;
      closed = true;
      try {
        await client.query(`UNLISTEN ${VERSION_EVENT_CHANNEL}`);
        client.off('error', ignore);
        client.release();
      } catch {
        client.release(true);
      }
    },
  };
}
