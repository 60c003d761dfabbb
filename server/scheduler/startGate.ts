/**
 * The season's start gate (simulated and replay clocks). Right after `npm start` the teams' Git
 * strategies are still being fetched, checked and activated; a clock that started at once would run
 * its first minutes without them, and their curves would differ from a backtest of the same bars.
 *
 * So a fresh season (no minute stored yet) starts:
 *  - at SEASON_START_AT (wall-clock time) when it is set, whatever the teams' state; or
 *  - once every enabled team is settled: it has an active version, or Git sync has given its verdict on
 *    the branch head (a rejected commit, a failing fetch: waiting longer would not change it); or
 *  - after SEASON_START_TIMEOUT_MS (default 120 s; 0 = no wait) anyway.
 * Whichever way, the teams without an active version at the start are named ("late") in the log and
 * in what the gate returns.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { PgPool } from '../../data/postgres/pool.ts';

/** A team's state as the gate sees it. */
export interface TeamReadiness {
  /** Has an active strategy version. */
  active: boolean;
  /** Active, or Git sync has judged the branch head (rejected, or the fetch failed): nothing more is coming soon. */
  settled: boolean;
}

export interface StartGateOptions {
  /** Epoch ms (wall clock) at which the season starts whatever the teams' state. */
  startAt: number | undefined;
  /** Without startAt: the longest wait for the teams; 0 = start at once. */
  timeoutMs: number;
  /** How often the teams' state is read. */
  pollMs?: number;
  /** The enabled teams, read at each poll (the registry may change while the gate waits). */
  enabledTeams: () => readonly string[];
  readiness: (teamIds: readonly string[]) => Promise<Map<string, TeamReadiness>>;
  now?: () => number;
  signal?: AbortSignal;
  log?: Logger;
}

export interface SeasonStart {
  /** start_time: SEASON_START_AT came; teams_ready: every enabled team settled; timeout: waited SEASON_START_TIMEOUT_MS. */
  reason: 'start_time' | 'teams_ready' | 'timeout';
  waitedMs: number;
  /** Enabled teams without an active version when the season started, sorted. */
  late: string[];
}

/** Waits for the season's start; rejects only when the signal aborts. */
export async function waitForSeasonStart(options: StartGateOptions): Promise<SeasonStart> {
  const now = options.now ?? Date.now;
  const pollMs = options.pollMs ?? 1_000;
  const began = now();
  const lateOf = async (): Promise<{ late: string[]; unsettled: string[] }> => {
    const teams = [...options.enabledTeams()];
    const states = teams.length === 0 ? new Map<string, TeamReadiness>() : await options.readiness(teams);
    const late = teams.filter((id) => states.get(id)?.active !== true).sort();
    const unsettled = teams.filter((id) => states.get(id)?.settled !== true).sort();
    return { late, unsettled };
  };
  const finish = (reason: SeasonStart['reason'], late: string[]): SeasonStart => {
    const start: SeasonStart = { reason, waitedMs: now() - began, late };
    if (late.length > 0) options.log?.warn({ reason, waitedMs: start.waitedMs, late }, `season starts without an active strategy for ${late.length} team(s): ${late.join(', ')}`);
    else options.log?.info({ reason, waitedMs: start.waitedMs }, 'season starts: every enabled team has an active strategy');
    return start;
  };
  const pause = async (ms: number) => {
    if (ms > 0) await sleep(ms, undefined, options.signal ? { signal: options.signal } : undefined);
    else options.signal?.throwIfAborted();
  };

  if (options.startAt !== undefined) {
    if (options.startAt > now()) options.log?.info({ startAt: new Date(options.startAt).toISOString() }, 'season waits for its start time');
    while (now() < options.startAt) await pause(Math.min(options.startAt - now(), 60_000));
    return finish('start_time', (await lateOf()).late);
  }

  const deadline = began + options.timeoutMs;
  let announced = false;
  for (;;) {
    options.signal?.throwIfAborted();
    const { late, unsettled } = await lateOf();
    if (unsettled.length === 0) return finish('teams_ready', late);
    if (now() >= deadline) return finish('timeout', late);
    if (!announced) {
      options.log?.info({ waitingFor: unsettled, timeoutMs: options.timeoutMs }, "season waits for the teams' strategies");
      announced = true;
    }
    await pause(Math.min(pollMs, deadline - now()));
  }
}

/** The teams' readiness from Postgres: active versions, and Git sync's verdict on the branch head. */
export async function readTeamReadiness(pg: PgPool, teamIds: readonly string[]): Promise<Map<string, TeamReadiness>> {
  const { rows } = await pg.query<{ team_id: string; active: boolean; judged: boolean }>({
    text: `SELECT t.id AS team_id,
                  (a.team_id IS NOT NULL) AS active,
                  (s.error IS NOT NULL OR EXISTS (SELECT 1 FROM strategy_versions v
                     WHERE v.team_id = t.id AND v.commit_sha = s.head_sha AND v.status = 'rejected')) AS judged
             FROM unnest($1::text[]) AS t(id)
             LEFT JOIN team_active_versions a ON a.team_id = t.id
             LEFT JOIN team_git_sync s ON s.team_id = t.id`,
    values: [[...teamIds]],
  });
  return new Map(rows.map((row) => [row.team_id, { active: row.active, settled: row.active || row.judged }]));
}
