import type pg from 'pg';
import type { PgPool } from '../data/postgres/pool.ts';
import type { Registry } from './schema.ts';
import { inTransaction } from './transaction.ts';

export interface TeamSyncSummary {
  added: string[];
  updated: string[];
  /** Present in the file again after having been removed. */
  restored: string[];
  removed: string[];
}

// Any constant works: it only has to differ from other advisory locks of the application.
const TEAM_SYNC_LOCK = 0x71_74_63_01;

/**
 * Makes the `teams` table match the registry in one transaction: teams in the file are
 * inserted or updated, teams no longer in it get `removed_at` (never deleted: their orders and
 * history stay attributable). Serialised by an advisory lock (the control process and
 * `qtc admin` may sync at once). Rows that already match are not touched, so `updated_at` means a real change.
 */
export async function syncTeams(pool: PgPool, registry: Registry): Promise<TeamSyncSummary> {
  return inTransaction(pool, (client) => syncTeamsIn(client, registry));
}

/** `syncTeams` inside the caller's transaction (the control process publishes the registry version with it). */
export async function syncTeamsIn(client: pg.PoolClient, registry: Registry): Promise<TeamSyncSummary> {
  const teams = registry.teams.map((team) => ({
    id: team.id,
    name: team.name,
    enabled: team.enabled,
    repo: team.repo,
    branch: team.branch,
    path: team.path,
    entry: team.entry ?? null,
    params: team.params,
    limits: team.limits ?? {},
    risk: team.risk ?? {},
  }));
  await client.query('SELECT pg_advisory_xact_lock($1)', [TEAM_SYNC_LOCK]);
  const before = await client.query<{ id: string; removed: boolean }>('SELECT id, removed_at IS NOT NULL AS removed FROM teams');
  const previous = new Map(before.rows.map((row) => [row.id, row.removed]));
  const upserted = await client.query<{ id: string }>(
    `INSERT INTO teams AS t (id, name, enabled, repo, branch, path, entry, params, limits, risk)
     SELECT id, name, enabled, repo, branch, path, entry, params, limits, risk
       FROM jsonb_to_recordset($1::jsonb)
         AS x(id text, name text, enabled boolean, repo text, branch text, path text, entry text, params jsonb, limits jsonb, risk jsonb)
     ON CONFLICT (id) DO UPDATE SET
       name = EXCLUDED.name, enabled = EXCLUDED.enabled, repo = EXCLUDED.repo, branch = EXCLUDED.branch,
       path = EXCLUDED.path, entry = EXCLUDED.entry, params = EXCLUDED.params, limits = EXCLUDED.limits,
       risk = EXCLUDED.risk, removed_at = NULL, updated_at = now()
     WHERE (t.name, t.enabled, t.repo, t.branch, t.path, t.entry, t.params, t.limits, t.risk, t.removed_at)
       IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.enabled, EXCLUDED.repo, EXCLUDED.branch, EXCLUDED.path,
                         EXCLUDED.entry, EXCLUDED.params, EXCLUDED.limits, EXCLUDED.risk, NULL::timestamptz)
     RETURNING t.id`,
    [JSON.stringify(teams)],
  );
  const removed = await client.query<{ id: string }>(
    'UPDATE teams SET removed_at = now(), updated_at = now() WHERE removed_at IS NULL AND NOT (id = ANY($1::text[])) RETURNING id',
    [teams.map((team) => team.id)],
  );
  const summary: TeamSyncSummary = { added: [], updated: [], restored: [], removed: removed.rows.map((row) => row.id).sort() };
  for (const { id } of upserted.rows) {
    const wasRemoved = previous.get(id);
    if (wasRemoved === undefined) summary.added.push(id);
    else if (wasRemoved) summary.restored.push(id);
    else summary.updated.push(id);
  }
  summary.added.sort();
  summary.updated.sort();
  summary.restored.sort();
  return summary;
}
