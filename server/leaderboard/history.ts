/**
 * Equity histories for charts. "The last N days" counts back from the newest snapshot, not from
 * the wall clock, so a replayed or simulated season (whose minutes may lie in the past) charts the
 * same way as a live one.
 *
 * Three readings of the same rows:
 * - as points (`teamEquityHistory`, `allEquityHistories`): one JavaScript object per snapshot;
 * - as JSON text built by Postgres (`…Json`): ~3 µs per point less, because Node neither parses a
 *   timestamp nor serialises a point. The text is byte for byte what the points serialise to
 *   (proven by tests/integration/api/history.test.ts); where Postgres' formatting could differ from
 *   JavaScript's (16 significant digits, a year outside 1000–9999) the points are read instead;
 * - as a compact series (`…Series`) to downsample.
 */
import type { PgPool } from '../../data/postgres/pool.ts';
import { decimalStringToMoney, toDollars } from '../trading/money.ts';
import { parseSeries, type EquityPoint, type EquitySeries } from './historySeries.ts';

export type { EquityPoint, EquitySeries } from './historySeries.ts';

/** Which snapshots: the newest `limit` of the `days` days up to the newest one in (`after`, `before`). */
export interface HistoryRange {
  days: number;
  limit: number;
  /** Only snapshots strictly before this instant; the days then count back from the newest of them. */
  before?: Date | undefined;
  /** Only snapshots strictly after this instant. */
  after?: Date | undefined;
}

export interface HistoryJson {
  /** Number of points in `json`. */
  count: number;
  /** `[{"timestamp":"…","value":…},…]`, oldest first. */
  json: string;
  /** The range's version (`teamHistoryVersion`) these points were read at. */
  version: string;
}

const DAY_MS = 86_400_000;

const point = (minute: Date, equity: string): EquityPoint => ({ timestamp: minute.toISOString(), value: toDollars(decimalStringToMoney(equity)) });

/** `minute` within (after, before); the two parameters are `$before` and `$after`. */
const inRange = (column: string, before: string, after: string): string =>
  `(${before}::timestamptz IS NULL OR ${column} < ${before}) AND (${after}::timestamptz IS NULL OR ${column} > ${after})`;

/** A team's snapshots in the range's window: `days` (a window in ms) back from the newest in (after, before). */
const teamWindow = (team: string, window: string, before: string, after: string): string => `
  team_id = ${team} AND ${inRange('minute', before, after)}
  AND minute >= (SELECT max(minute) FROM equity_snapshots WHERE team_id = ${team} AND ${inRange('minute', before, after)}) - ${window} * interval '1 millisecond'`;

/** One team's recent snapshots (minute, equity), newest first. $1 team, $2 window in ms, $3 limit, $4 before, $5 after. */
const TEAM_RECENT = `SELECT minute, equity FROM equity_snapshots WHERE ${teamWindow('$1', '$2', '$4', '$5')} ORDER BY minute DESC LIMIT $3`;

/**
 * Names the rows a team's range holds: their number and the newest minute. Snapshots are only ever
 * inserted, so equal versions mean equal answers (see historyCache.ts). An index-only count.
 */
const teamVersion = (team: string, window: string, before: string, after: string): string =>
  `SELECT count(*)::text || '@' || coalesce(max(minute)::text, '-') FROM equity_snapshots WHERE ${teamWindow(team, window, before, after)}`;
const TEAM_VERSION = teamVersion('$1', '$2', '$4', '$5');

/** Every team's snapshots in the range's window: `days` back from the newest snapshot of any team in (after, before). */
const allWindow = (column: string, window: string, before: string, after: string): string => `
  ${inRange(column, before, after)}
  AND ${column} >= (SELECT max(minute) FROM equity_snapshots WHERE ${inRange('minute', before, after)}) - ${window} * interval '1 millisecond'`;

/** Every live team's recent snapshots numbered newest first per team (keep `n <= $2`). $1 window in ms, $3 before, $4 after. */
const ALL_RECENT = `
  SELECT s.team_id, s.minute, s.equity, row_number() OVER (PARTITION BY s.team_id ORDER BY s.minute DESC) AS n
    FROM equity_snapshots s JOIN teams t ON t.id = s.team_id AND t.removed_at IS NULL
   WHERE ${allWindow('s.minute', '$1', '$3', '$4')}`;

/** As `teamVersion`, for every team: the window's rows (an index-only count on the minute index) and the live teams. */
const allVersion = (window: string, before: string, after: string): string =>
  `SELECT count(*)::text || '@' || coalesce(max(minute)::text, '-') || '#' || (SELECT md5(coalesce(string_agg(id, ',' ORDER BY id), '')) FROM teams WHERE removed_at IS NULL)
     FROM equity_snapshots WHERE ${allWindow('minute', window, before, after)}`;
const ALL_VERSION = allVersion('$1', '$3', '$4');

// A point as `JSON.stringify({timestamp: minute.toISOString(), value: equity as a double})` writes it:
// to_char's MS truncates like a JavaScript Date; a NUMERIC(…,4) below 1e11 has at most 15 significant
// digits, so its shortest round-trip double prints as the decimal without trailing zeros (trim_scale).
const POINT_JSON = `'{"timestamp":"' || to_char(minute AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || '","value":' || trim_scale(equity)::text || '}'`;
const EXACT = `abs(equity) < 100000000000 AND minute >= '1000-01-01 00:00:00+00' AND minute < '10000-01-01 00:00:00+00'`;
const EPOCH_MS = `floor(extract(epoch FROM minute) * 1000)::bigint::text`;

/** JavaScript lists a key that is an array index ("0" … "4294967294") before the others, ascending. */
// (Nested: Postgres may evaluate both sides of an AND, and the cast fails on other ids.)
const ARRAY_INDEX_KEY = `CASE WHEN team_id ~ '^(0|[1-9][0-9]{0,9})$' THEN CASE WHEN team_id::bigint <= 4294967294 THEN team_id::bigint END END`;

const teamParams = (teamId: string, range: HistoryRange) => [teamId, range.days * DAY_MS, range.limit, range.before ?? null, range.after ?? null];
const allParams = (range: HistoryRange) => [range.days * DAY_MS, range.limit, range.before ?? null, range.after ?? null];

/** One team's equity in the range, oldest first. */
export async function teamEquityHistory(pg: PgPool, teamId: string, range: HistoryRange): Promise<EquityPoint[]> {
  const { rows } = await pg.query<{ minute: Date; equity: string }>(`SELECT minute, equity::text AS equity FROM (${TEAM_RECENT}) recent`, teamParams(teamId, range));
  return rows.reverse().map((row) => point(row.minute, row.equity));
}

/** Every live team's equity in the range (`limit` points per team), oldest first, keyed by team in id order. */
export async function allEquityHistories(pg: PgPool, range: HistoryRange): Promise<Record<string, EquityPoint[]>> {
  const { rows } = await pg.query<{ team_id: string; minute: Date; equity: string }>(
    `WITH recent AS (${ALL_RECENT}) SELECT team_id, minute, equity::text AS equity FROM recent WHERE n <= $2 ORDER BY team_id, minute`,
    allParams(range),
  );
  const teams: Record<string, EquityPoint[]> = {};
  for (const row of rows) (teams[row.team_id] ??= []).push(point(row.minute, row.equity));
  return teams;
}

/** The version of a team's range: equal versions, equal answers (snapshots are only ever inserted). */
export async function teamHistoryVersion(pg: PgPool, teamId: string, range: HistoryRange): Promise<string> {
  const { rows } = await pg.query<{ version: string }>(`SELECT (${teamVersion('$1', '$2', '$3', '$4')}) AS version`, [
    teamId,
    range.days * DAY_MS,
    range.before ?? null,
    range.after ?? null,
  ]);
  return rows[0]!.version;
}

/** `teamEquityHistory` as JSON text, built by Postgres. */
export async function teamEquityHistoryJson(pg: PgPool, teamId: string, range: HistoryRange): Promise<HistoryJson> {
  const { rows } = await pg.query<{ count: number; points: string; exact: boolean; version: string }>(
    `SELECT count(*)::int AS count, coalesce(string_agg(${POINT_JSON}, ',' ORDER BY minute), '') AS points, coalesce(bool_and(${EXACT}), true) AS exact,
            (${TEAM_VERSION}) AS version
       FROM (${TEAM_RECENT}) recent`,
    teamParams(teamId, range),
  );
  const row = rows[0]!;
  if (row.exact) return { count: row.count, json: `[${row.points}]`, version: row.version };
  // Read after the version: if rows came in between, the next request's version differs and reads again.
  const points = await teamEquityHistory(pg, teamId, range);
  return { count: points.length, json: JSON.stringify(points), version: row.version };
}

/** The version of the all-teams range: equal versions, equal answers. */
export async function allHistoryVersion(pg: PgPool, range: HistoryRange): Promise<string> {
  const { rows } = await pg.query<{ version: string }>(`SELECT (${allVersion('$1', '$2', '$3')}) AS version`, [range.days * DAY_MS, range.before ?? null, range.after ?? null]);
  return rows[0]!.version;
}

/** `allEquityHistories` as JSON text (`{"team":[…],…}`, keys in JavaScript's order), built by Postgres, with the range's version. */
export async function allEquityHistoriesJson(pg: PgPool, range: HistoryRange): Promise<{ json: string; version: string }> {
  const { rows } = await pg.query<{ teams: string; exact: boolean; version: string }>(
    `WITH recent AS (${ALL_RECENT}),
     per_team AS (
       SELECT team_id, string_agg(${POINT_JSON}, ',' ORDER BY minute) AS points, bool_and(${EXACT}) AS exact
         FROM recent WHERE n <= $2 GROUP BY team_id)
     SELECT coalesce(string_agg(to_json(team_id)::text || ':[' || points || ']', ',' ORDER BY ${ARRAY_INDEX_KEY} NULLS LAST, team_id), '') AS teams,
            coalesce(bool_and(exact), true) AS exact, (${ALL_VERSION}) AS version
       FROM per_team`,
    allParams(range),
  );
  const row = rows[0]!;
  return { json: row.exact ? `{${row.teams}}` : JSON.stringify(await allEquityHistories(pg, range)), version: row.version };
}

/** One team's equity in the range as a compact series, to downsample, with the range's version. */
export async function teamEquitySeries(pg: PgPool, teamId: string, range: HistoryRange): Promise<{ series: EquitySeries; version: string }> {
  const { rows } = await pg.query<{ ms: string; equity: string; version: string }>(
    `SELECT coalesce(string_agg(${EPOCH_MS}, ',' ORDER BY minute), '') AS ms, coalesce(string_agg(equity::text, ',' ORDER BY minute), '') AS equity,
            (${TEAM_VERSION}) AS version
       FROM (${TEAM_RECENT}) recent`,
    teamParams(teamId, range),
  );
  return { series: parseSeries(rows[0]!.ms, rows[0]!.equity), version: rows[0]!.version };
}

/** Every live team's equity in the range as compact series, in team id order, with the range's version. */
export async function allEquitySeries(pg: PgPool, range: HistoryRange): Promise<{ teams: Array<{ teamId: string; series: EquitySeries }>; version: string }> {
  const { rows } = await pg.query<{ team_id: string | null; ms: string; equity: string; version: string }>(
    `WITH recent AS (${ALL_RECENT}),
     per_team AS (
       SELECT team_id, string_agg(${EPOCH_MS}, ',' ORDER BY minute) AS ms, string_agg(equity::text, ',' ORDER BY minute) AS equity
         FROM recent WHERE n <= $2 GROUP BY team_id)
     -- The version rides on a row of its own (team_id null), so it comes even when no team has a point.
     SELECT 0 AS part, NULL AS team_id, '' AS ms, '' AS equity, (${ALL_VERSION}) AS version
     UNION ALL
     SELECT 1, team_id, ms, equity, NULL FROM per_team
     ORDER BY part, team_id`,
    allParams(range),
  );
  const [head, ...teams] = rows;
  return { teams: teams.map((row) => ({ teamId: row.team_id!, series: parseSeries(row.ms, row.equity) })), version: head!.version };
}
