/** The strategies' `team.memory`, kept in Postgres so it survives server restarts. */
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';
import { storableJson } from '../../data/postgres/storableJson.ts';

export type TeamMemory = Record<string, unknown>;

export async function saveTeamMemory(db: Queryable, teamId: string, memory: TeamMemory): Promise<void> {
  if (typeof memory !== 'object' || memory === null || Array.isArray(memory)) {
    throw new TypeError(`team memory for ${teamId} must be a JSON object`);
  }
  await query(
    db,
    `INSERT INTO team_memory (team_id, memory) VALUES ($1, $2)
     ON CONFLICT (team_id) DO UPDATE SET memory = EXCLUDED.memory, updated_at = now()`,
    [teamId, storableJson(memory)],
  );
}

/** The stored memory, or null when the team never saved any. */
export async function loadTeamMemory(db: Queryable, teamId: string): Promise<TeamMemory | null> {
  const [row] = await query<{ memory: TeamMemory }>(db, 'SELECT memory FROM team_memory WHERE team_id = $1', [teamId]);
  return row?.memory ?? null;
}
