/**
 * Recording for `qtc replay`, going forward: what a recorded minute depends on that no other table keeps
 * (migration 1763800010000_replay-record.sql). Called by the live tick at the points where it already
 * reads these things (server/tick/tick.ts, stage 3), so the record is what the tick really used.
 */
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';
import { storableJson } from '../../data/postgres/storableJson.ts';
import type { HaltState } from '../control/halts.ts';
import type { Execution } from '../engine/ports.ts';

/**
 * The conditions one shard of the minute runs under: the registry version in force (its sync is the teams'
 * params, limits and risk the shard reads next), the simulated venue's slippage, and the halts it read
 * for its teams. Several shards of a minute merge into one row (the halts any of them saw).
 */
export async function recordMinuteConditions(db: Queryable, minute: number, halts: HaltState, shardTeams: readonly string[], execution: Execution): Promise<void> {
  const halted = shardTeams.filter((teamId) => halts.teams.has(teamId));
  const slippage = execution.kind === 'sim' ? execution.venue.model.slippageBps : null;
  await query(
    db,
    `INSERT INTO tick_conditions (minute, registry_version, sim_slippage_bps, halted_competition, halted_teams)
     VALUES ($1, (SELECT max(version) FROM registry_versions), $2, $3, $4)
     ON CONFLICT (minute) DO UPDATE SET
       halted_competition = tick_conditions.halted_competition OR EXCLUDED.halted_competition,
       halted_teams = ARRAY(SELECT DISTINCT unnest(tick_conditions.halted_teams || EXCLUDED.halted_teams) ORDER BY 1)`,
    [new Date(minute), slippage, halts.competition !== null, halted],
  );
}

/**
 * The teams whose isolate was freshly loaded for the run this call stored (`stored`: first writer wins,
 * so a load for a run another worker kept is not this minute's truth), with the memory loaded.
 */
export async function recordLoads(db: Queryable, minute: number, loads: ReadonlyMap<string, Record<string, unknown>>, stored: ReadonlySet<string>): Promise<void> {
  const rows = [...loads].filter(([teamId]) => stored.has(teamId)).map(([teamId, memory]) => ({ team_id: teamId, memory }));
  if (rows.length === 0) return;
  await query(
    db,
    `INSERT INTO tick_team_loads (minute, team_id, memory) SELECT $2, team_id, memory FROM jsonb_to_recordset($1::jsonb) AS r(team_id text, memory jsonb)
     ON CONFLICT (minute, team_id) DO NOTHING`,
    [storableJson(rows), new Date(minute)],
  );
}
