import type { PgPool } from '../data/postgres/pool.ts';
import { teamNotFound } from './keys/errors.ts';
import type { Registry, TeamEntry } from './schema.ts';

/** A team as the database knows it (synced from the registry), with its number of working keys. */
export interface TeamRecord {
  id: string;
  name: string;
  enabled: boolean;
  repo: string;
  branch: string;
  removedAt: Date | null;
  updatedAt: Date;
  workingKeys: number;
}

/** Every team ever synced, removed ones included, by id. */
export async function listTeams(pool: PgPool, now: Date): Promise<TeamRecord[]> {
  const { rows } = await pool.query<{
    id: string;
    name: string;
    enabled: boolean;
    repo: string;
    branch: string;
    removed_at: Date | null;
    updated_at: Date;
    working_keys: number;
  }>(
    `SELECT t.id, t.name, t.enabled, t.repo, t.branch, t.removed_at, t.updated_at,
            (SELECT count(*) FROM api_keys k
              WHERE k.team_id = t.id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > $1))::int AS working_keys
       FROM teams t ORDER BY t.id`,
    [now],
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    repo: row.repo,
    branch: row.branch,
    removedAt: row.removed_at,
    updatedAt: row.updated_at,
    workingKeys: row.working_keys,
  }));
}

/** A team's settings with the competition's defaults applied: what its strategy actually runs under. */
export function effectiveTeam(registry: Registry, team: TeamEntry): TeamEntry & { limits: Registry['competition']['limits']; risk: Registry['competition']['risk'] } {
  return {
    ...team,
    limits: { ...registry.competition.limits, ...team.limits },
    risk: { ...registry.competition.risk, ...team.risk },
  };
}

/** Throws the 404 AdminRequestError unless the team is in the database and not removed. */
export async function requireLiveTeam(pool: PgPool, teamId: string): Promise<void> {
  const { rows } = await pool.query<{ removed_at: Date | null }>('SELECT removed_at FROM teams WHERE id = $1', [teamId]);
  if (!rows[0] || rows[0].removed_at !== null) throw teamNotFound(teamId, rows[0] !== undefined);
}
