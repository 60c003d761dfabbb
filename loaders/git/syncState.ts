import type { PgPool } from '../../data/postgres/pool.ts';
import type { SyncErrorKind } from './syncError.ts';

/**
 * The last sync of each team's repository (table team_git_sync). An error is kept until a sync
 * succeeds; the audit log gets one event when an error starts or changes and one when it clears,
 * not one per poll. (The CTE `previous` must not lock: a row locked with FOR UPDATE and updated by
 * the same statement reads as absent.)
 */

export interface SyncState {
  teamId: string;
  /** The branch head last seen (fetched, or refused for its size). */
  headSha: string | null;
  checkedAt: Date;
  syncedAt: Date | null;
  errorKind: SyncErrorKind | null;
  error: string | null;
  errorSince: Date | null;
  /** Consecutive failed syncs. */
  failures: number;
}

interface Row {
  team_id: string;
  head_sha: string | null;
  checked_at: Date;
  synced_at: Date | null;
  error_kind: SyncErrorKind | null;
  error: string | null;
  error_since: Date | null;
  failures: number;
}

const toState = (row: Row): SyncState => ({
  teamId: row.team_id,
  headSha: row.head_sha,
  checkedAt: row.checked_at,
  syncedAt: row.synced_at,
  errorKind: row.error_kind,
  error: row.error,
  errorSince: row.error_since,
  failures: row.failures,
});

export async function readSyncState(pool: PgPool, teamId: string): Promise<SyncState | null> {
  const { rows } = await pool.query<Row>('SELECT * FROM team_git_sync WHERE team_id = $1', [teamId]);
  return rows[0] === undefined ? null : toState(rows[0]);
}

export async function listSyncStates(pool: PgPool): Promise<SyncState[]> {
  const { rows } = await pool.query<Row>('SELECT * FROM team_git_sync ORDER BY team_id');
  return rows.map(toState);
}

/** Records a successful sync; audits the recovery when the previous one had failed. */
export async function recordSyncSuccess(pool: PgPool, teamId: string, headSha: string): Promise<void> {
  const { rows } = await pool.query<{ previous_error: string | null }>(
    `WITH previous AS (SELECT error FROM team_git_sync WHERE team_id = $1)
     INSERT INTO team_git_sync AS s (team_id, head_sha, checked_at, synced_at, failures) VALUES ($1, $2, now(), now(), 0)
     ON CONFLICT (team_id) DO UPDATE SET head_sha = EXCLUDED.head_sha, checked_at = now(), synced_at = now(),
       error_kind = NULL, error = NULL, error_since = NULL, failures = 0
     RETURNING (SELECT error FROM previous) AS previous_error`,
    [teamId, headSha],
  );
  if (rows[0]?.previous_error != null) {
    await pool.query(`INSERT INTO audit_events (actor, kind, subject, details) VALUES ('git-sync', 'git.sync-recovered', $1, $2)`, [
      teamId,
      JSON.stringify({ headSha, previousError: rows[0].previous_error }),
    ]);
  }
}

/** Records a failed sync (the head, when known, is kept so an oversized head is not fetched again). */
export async function recordSyncFailure(pool: PgPool, teamId: string, kind: SyncErrorKind, message: string, headSha: string | null): Promise<{ changed: boolean }> {
  const { rows } = await pool.query<{ previous_error: string | null; previous_kind: string | null }>(
    `WITH previous AS (SELECT error, error_kind FROM team_git_sync WHERE team_id = $1)
     INSERT INTO team_git_sync AS s (team_id, head_sha, checked_at, error_kind, error, error_since, failures) VALUES ($1, $2, now(), $3, $4, now(), 1)
     ON CONFLICT (team_id) DO UPDATE SET head_sha = COALESCE(EXCLUDED.head_sha, s.head_sha), checked_at = now(),
       error_kind = EXCLUDED.error_kind, error = EXCLUDED.error,
       error_since = CASE WHEN s.error_kind IS NOT DISTINCT FROM EXCLUDED.error_kind THEN s.error_since ELSE now() END,
       failures = s.failures + 1
     RETURNING (SELECT error FROM previous) AS previous_error, (SELECT error_kind FROM previous) AS previous_kind`,
    [teamId, headSha, kind, message],
  );
  const changed = rows[0]?.previous_error !== message || rows[0]?.previous_kind !== kind;
  if (changed) {
    await pool.query(`INSERT INTO audit_events (actor, kind, subject, details) VALUES ('git-sync', 'git.sync-failed', $1, $2)`, [
      teamId,
      JSON.stringify({ kind, error: message, headSha }),
    ]);
  }
  return { changed };
}
