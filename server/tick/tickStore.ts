/**
 * The tick's tables (migration 1763800005000_ticks.sql): minutes, team runs, shards and risk state.
 * Every write is idempotent by minute: a first write wins where a retry could disagree
 * (bars, a team's run), and state that moves forward (risk) only moves to a later minute.
 */
import type pg from 'pg';
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';
import { storableJson } from '../../data/postgres/storableJson.ts';
import type { CompiledStrategy, LogLine, SandboxError, Signal } from '../../sandbox/index.ts';
import type { RiskState } from '../trading/risk/limits.ts';
import type { OrderIntent } from '../trading/types.ts';
import type { StoredBars } from './barsSnapshot.ts';
import { OlderBarsCollector, type OlderBarsWanted, type StoredMinuteBars, type SymbolDebut } from './windowSeed.ts';

export type TickClock = 'live' | 'simulated' | 'replay';
export type TickStatus = 'running' | 'completed' | 'failed';

export interface DueTeam {
  teamId: string;
  versionId: number;
}

export interface TickError {
  stage: 'bars' | 'fills' | 'strategies' | 'orders' | 'books' | 'job';
  teamId?: string;
  message: string;
}

/**
 * Milliseconds per stage. `submit` is the part of `orders` spent handing intents to the broker;
 * `snapshot` and `leaderboard` are parts of `books`.
 */
export type StageTimings = Partial<Record<'bars' | 'fills' | 'load' | 'strategies' | 'orders' | 'submit' | 'books' | 'snapshot' | 'leaderboard' | 'total', number>>;

export interface TickRecord {
  minute: number;
  status: TickStatus;
  attempts: number;
  shards: number;
  clock: TickClock;
  source: string;
  stale: boolean;
  staleReason: string | null;
  barHash: string;
  bars: StoredBars;
  prices: Record<string, number>;
  teams: DueTeam[];
  preparedAt: number | null;
  fillsApplied: number | null;
  teamsRun: number | null;
  stageMs: StageTimings;
  errors: TickError[];
  eventsPublished: boolean;
  startedAt: number;
  completedAt: number | null;
}

interface TickRow {
  minute: Date;
  status: TickStatus;
  attempts: number;
  shards: number;
  clock: TickClock;
  source: string;
  stale: boolean;
  stale_reason: string | null;
  bar_hash: string;
  bars: StoredBars;
  prices: Record<string, number>;
  teams: DueTeam[];
  prepared_at: Date | null;
  fills_applied: number | null;
  teams_run: number | null;
  stage_ms: StageTimings;
  errors: TickError[];
  events_published: boolean;
  started_at: Date;
  completed_at: Date | null;
}

const TICK_COLUMNS = `minute, status, attempts, shards, clock, source, stale, stale_reason, bar_hash, bars, prices, teams, prepared_at,
  fills_applied, teams_run, stage_ms, errors, events_published, started_at, completed_at`;

function toTick(row: TickRow): TickRecord {
  return {
    minute: row.minute.getTime(),
    status: row.status,
    attempts: row.attempts,
    shards: row.shards,
    clock: row.clock,
    source: row.source,
    stale: row.stale,
    staleReason: row.stale_reason,
    barHash: row.bar_hash,
    bars: row.bars,
    prices: row.prices,
    teams: row.teams,
    preparedAt: row.prepared_at?.getTime() ?? null,
    fillsApplied: row.fills_applied,
    teamsRun: row.teams_run,
    stageMs: row.stage_ms,
    errors: row.errors,
    eventsPublished: row.events_published,
    startedAt: row.started_at.getTime(),
    completedAt: row.completed_at?.getTime() ?? null,
  };
}

export interface NewTick {
  minute: number;
  attempts: number;
  shards: number;
  clock: TickClock;
  source: string;
  stale: boolean;
  staleReason: string | null;
  barHash: string;
  bars: StoredBars;
  prices: Record<string, number>;
  teams: DueTeam[];
  barsMs: number;
}

/**
 * Stores the minute's snapshot unless one is stored already (the first snapshot is the one every team
 * sees), and the first minute of each symbol it holds that no earlier minute held (`tick_symbols`).
 */
export async function insertTick(db: Queryable, tick: NewTick): Promise<void> {
  await query(
    db,
    `WITH stored AS (
       INSERT INTO ticks (minute, status, attempts, shards, clock, source, stale, stale_reason, bar_hash, bars, prices, teams, stage_ms)
       VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
       ON CONFLICT (minute) DO NOTHING
       RETURNING minute, bars)
     INSERT INTO tick_symbols (symbol, first_minute)
     SELECT held.symbol, stored.minute FROM stored CROSS JOIN LATERAL jsonb_object_keys(stored.bars) AS held(symbol)
      WHERE NOT EXISTS (SELECT 1 FROM tick_symbols known WHERE known.symbol = held.symbol AND known.first_minute <= stored.minute)
     ON CONFLICT (symbol) DO UPDATE SET first_minute = EXCLUDED.first_minute WHERE EXCLUDED.first_minute < tick_symbols.first_minute`,
    [
      new Date(tick.minute),
      tick.attempts,
      tick.shards,
      tick.clock,
      tick.source,
      tick.stale,
      tick.staleReason,
      tick.barHash,
      JSON.stringify(tick.bars),
      JSON.stringify(tick.prices),
      JSON.stringify(tick.teams),
      JSON.stringify({ bars: tick.barsMs }),
    ],
  );
}

export async function selectTick(db: Queryable, minute: number): Promise<TickRecord | null> {
  const [row] = await query<TickRow>(db, `SELECT ${TICK_COLUMNS} FROM ticks WHERE minute = $1`, [new Date(minute)]);
  return row === undefined ? null : toTick(row);
}

/** The most recent ticks, newest first (for the admin API and tests). */
export async function recentTicks(db: Queryable, limit = 50): Promise<TickRecord[]> {
  const rows = await query<TickRow>(db, `SELECT ${TICK_COLUMNS} FROM ticks ORDER BY minute DESC LIMIT $1`, [limit]);
  return rows.map(toTick);
}

/** Prices as they stood after the latest tick before `minute` ({} before the first one). */
export async function pricesBefore(db: Queryable, minute: number): Promise<Record<string, number>> {
  const [row] = await query<{ prices: Record<string, number> }>(db, 'SELECT prices FROM ticks WHERE minute < $1 ORDER BY minute DESC LIMIT 1', [new Date(minute)]);
  return row?.prices ?? {};
}

export interface HistoryMinute {
  minute: number;
  bars: StoredBars;
  prices: Record<string, number>;
}

/** The last `limit` stored minutes strictly between `after` and `before`, oldest first. */
export async function tickHistory(db: Queryable, after: number, before: number, limit: number): Promise<HistoryMinute[]> {
  const rows = await query<{ minute: Date; bars: StoredBars; prices: Record<string, number> }>(
    db,
    `SELECT minute, bars, prices FROM (SELECT minute, bars, prices FROM ticks WHERE minute > $1 AND minute < $2 ORDER BY minute DESC LIMIT $3) AS recent ORDER BY minute`,
    [new Date(Math.max(after, 0)), new Date(before), limit],
  );
  return rows.map((row) => ({ minute: row.minute.getTime(), bars: row.bars, prices: row.prices }));
}

/** Every symbol with a bar stored before `before`, with the minute of its first bar (`tick_symbols`, kept by insertTick). */
export async function symbolDebuts(db: Queryable, before: number): Promise<SymbolDebut[]> {
  const rows = await query<{ symbol: string; minute: Date }>(db, 'SELECT symbol, first_minute AS minute FROM tick_symbols WHERE first_minute < $1', [new Date(before)]);
  return rows.map((row) => ({ symbol: row.symbol, minute: row.minute.getTime() }));
}

/**
 * Each wanted symbol's last `count` bars stored before `before`, grouped by minute (oldest first, each
 * minute holding only those symbols' bars). The minutes are read newest first, a page at a time, and
 * no further back than the first bar of a symbol still short.
 */
export async function barsBefore(db: Queryable, wanted: readonly OlderBarsWanted[], before: number, pageMinutes = 500): Promise<StoredMinuteBars[]> {
  const collector = new OlderBarsCollector(wanted);
  let cursor = before;
  while (!collector.done) {
    const symbols = collector.symbols;
    const rows = await query<{ minute: Date; bars: StoredBars }>(
      db,
      `SELECT minute, (SELECT jsonb_object_agg(symbol, bar) FROM jsonb_each(bars) AS each(symbol, bar) WHERE symbol = ANY($3::text[])) AS bars
         FROM ticks WHERE minute < $1 AND minute >= $2 AND bars ?| $3::text[] ORDER BY minute DESC LIMIT $4`,
      [new Date(cursor), new Date(collector.floor), symbols, pageMinutes],
    );
    const page = rows.map((row) => ({ minute: row.minute.getTime(), bars: row.bars }));
    collector.add(page);
    const last = page.at(-1);
    if (last === undefined || rows.length < pageMinutes) break;
    cursor = last.minute;
  }
  return collector.minutes();
}

export async function raiseAttempts(db: Queryable, minute: number, attempts: number): Promise<void> {
  await query(db, 'UPDATE ticks SET attempts = GREATEST(attempts, $2) WHERE minute = $1', [new Date(minute), attempts]);
}

export async function markPrepared(db: Queryable, minute: number, fillsApplied: number, fillsMs: number): Promise<void> {
  await query(
    db,
    `UPDATE ticks SET prepared_at = now(), fills_applied = $2, stage_ms = stage_ms || jsonb_build_object('fills', $3::double precision)
     WHERE minute = $1 AND prepared_at IS NULL`,
    [new Date(minute), fillsApplied, fillsMs],
  );
}

export async function appendTickErrors(db: Queryable, minute: number, errors: readonly TickError[]): Promise<void> {
  if (errors.length === 0) return;
  await query(db, 'UPDATE ticks SET errors = errors || $2::jsonb WHERE minute = $1', [new Date(minute), storableJson(errors)]);
}

export async function completeTick(db: Queryable, minute: number, teamsRun: number, stageMs: StageTimings): Promise<void> {
  await query(
    db,
    `UPDATE ticks SET status = 'completed', teams_run = $2, stage_ms = stage_ms || $3::jsonb, completed_at = now()
     WHERE minute = $1 AND status <> 'completed'`,
    [new Date(minute), teamsRun, JSON.stringify(stageMs)],
  );
}

export async function failTick(db: Queryable, minute: number, error: TickError): Promise<void> {
  await query(db, `UPDATE ticks SET status = 'failed', errors = errors || $2::jsonb, completed_at = now() WHERE minute = $1 AND status = 'running'`, [
    new Date(minute),
    storableJson([error]),
  ]);
}

export async function markEventsPublished(db: Queryable, minute: number): Promise<void> {
  await query(db, 'UPDATE ticks SET events_published = true WHERE minute = $1', [new Date(minute)]);
}

// ---------------------------------------------------------------------------------------------
// Teams due and what they run

/** Enabled, present teams with an active strategy version, by id. */
export async function dueTeams(db: Queryable): Promise<DueTeam[]> {
  const rows = await query<{ team_id: string; version_id: string }>(
    db,
    `SELECT a.team_id, a.version_id FROM team_active_versions a JOIN teams t ON t.id = a.team_id
     WHERE t.enabled AND t.removed_at IS NULL ORDER BY a.team_id`,
  );
  return rows.map((row) => ({ teamId: row.team_id, versionId: Number(row.version_id) }));
}

export interface TeamOverrides {
  params: Record<string, unknown>;
  limits: { cpuMs?: number; memoryMb?: number };
  risk: Partial<Record<'maxPositionPct' | 'maxOrderNotional' | 'maxOrdersPerMinute' | 'maxTradesPerDay' | 'maxDailyLossPct', number>>;
}

/** Each team's own params, limits and risk as synced from the registry (the competition's defaults apply beneath them). */
export async function teamOverrides(db: Queryable, teamIds: readonly string[]): Promise<Map<string, TeamOverrides>> {
  const rows = await query<{ id: string; params: TeamOverrides['params']; limits: TeamOverrides['limits']; risk: TeamOverrides['risk'] }>(
    db,
    'SELECT id, params, limits, risk FROM teams WHERE id = ANY($1)',
    [teamIds],
  );
  return new Map(rows.map((row) => [row.id, { params: row.params, limits: row.limits, risk: row.risk }]));
}

export async function strategyBundles(db: Queryable, versionIds: readonly number[]): Promise<Map<number, CompiledStrategy>> {
  if (versionIds.length === 0) return new Map();
  const rows = await query<{ id: string; bundle_code: string; bundle_source_map: string; bundle_filename: string }>(
    db,
    'SELECT id, bundle_code, bundle_source_map, bundle_filename FROM strategy_versions WHERE id = ANY($1) AND bundle_code IS NOT NULL',
    [versionIds],
  );
  return new Map(rows.map((row) => [Number(row.id), { code: row.bundle_code, sourceMap: row.bundle_source_map, filename: row.bundle_filename }]));
}

export async function loadMemories(db: Queryable, teamIds: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
  const rows = await query<{ team_id: string; memory: Record<string, unknown> }>(db, 'SELECT team_id, memory FROM team_memory WHERE team_id = ANY($1)', [teamIds]);
  return new Map(rows.map((row) => [row.team_id, row.memory]));
}

// ---------------------------------------------------------------------------------------------
// Team runs

export interface StoredRejection {
  index: number;
  symbol: string;
  action: string;
  quantity: number;
  code: string;
  message: string;
}

export interface TeamRunRecord {
  minute: number;
  teamId: string;
  versionId: number | null;
  shard: number;
  worker: string;
  signals: Signal[];
  intents: OrderIntent[];
  rejections: StoredRejection[];
  error: SandboxError | null;
  logs: LogLine[];
  cpuMs: number;
  wallMs: number;
}

/** Teams of `teamIds` whose run of `minute` is stored. */
export async function teamsWithRuns(db: Queryable, minute: number, teamIds: readonly string[]): Promise<Set<string>> {
  const rows = await query<{ team_id: string }>(db, 'SELECT team_id FROM tick_team_runs WHERE minute = $1 AND team_id = ANY($2)', [new Date(minute), teamIds]);
  return new Set(rows.map((row) => row.team_id));
}

/** A run with what it leaves for the next minute: the team's memory and risk state (null: nothing to write). */
export interface RunWithState {
  run: TeamRunRecord;
  memory: Record<string, unknown> | null;
  risk: RiskState | null;
}

/**
 * `insertRuns`, `saveMemories` and `saveRiskStates` in one statement (one round trip instead of three):
 * the memory and risk state of a team are written only if this statement stored its run (first writer
 * wins), and risk state only moves to a later minute. Returns the teams whose run this call stored.
 */
export async function insertRunsWithState(client: pg.PoolClient, minute: number, entries: readonly RunWithState[]): Promise<Set<string>> {
  if (entries.length === 0) return new Set();
  const records = entries.map(({ run, memory, risk }) => ({
    minute: new Date(run.minute).toISOString(),
    team_id: run.teamId,
    version_id: run.versionId,
    shard: run.shard,
    worker: run.worker,
    signals: run.signals,
    intents: run.intents,
    rejections: run.rejections,
    error: run.error,
    logs: run.logs,
    cpu_ms: run.cpuMs,
    wall_ms: run.wallMs,
    memory,
    risk,
  }));
  const rows = await query<{ team_id: string }>(
    client,
    `WITH r AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(minute timestamptz, team_id text, version_id bigint, shard integer, worker text, signals jsonb,
         intents jsonb, rejections jsonb, error jsonb, logs jsonb, cpu_ms double precision, wall_ms double precision, memory jsonb, risk jsonb)),
     runs AS (
       INSERT INTO tick_team_runs (minute, team_id, version_id, shard, worker, signals, intents, rejections, error, logs, cpu_ms, wall_ms)
       SELECT minute, team_id, version_id, shard, worker, signals, intents, rejections, error, logs, cpu_ms, wall_ms FROM r
       ON CONFLICT (minute, team_id) DO NOTHING
       RETURNING team_id),
     memories AS (
       INSERT INTO team_memory (team_id, memory) SELECT r.team_id, r.memory FROM r JOIN runs USING (team_id) WHERE r.memory IS NOT NULL
       ON CONFLICT (team_id) DO UPDATE SET memory = EXCLUDED.memory, updated_at = now()),
     risks AS (
       INSERT INTO team_risk_state (team_id, minute, state) SELECT r.team_id, $2, r.risk FROM r JOIN runs USING (team_id) WHERE r.risk IS NOT NULL
       ON CONFLICT (team_id) DO UPDATE SET minute = EXCLUDED.minute, state = EXCLUDED.state, updated_at = now()
       WHERE team_risk_state.minute < EXCLUDED.minute)
     SELECT team_id FROM runs`,
    [storableJson(records), new Date(minute)],
  );
  return new Set(rows.map((row) => row.team_id));
}

interface RunRow {
  minute: Date;
  team_id: string;
  version_id: string | null;
  shard: number;
  worker: string;
  signals: Signal[];
  intents: OrderIntent[];
  rejections: StoredRejection[];
  error: SandboxError | null;
  logs: LogLine[];
  cpu_ms: number;
  wall_ms: number;
}

const RUN_COLUMNS = 'minute, team_id, version_id, shard, worker, signals, intents, rejections, error, logs, cpu_ms, wall_ms';

/** The stored runs of a minute (of some teams, or all), by team id. */
export async function selectRuns(db: Queryable, minute: number, teamIds: readonly string[] | null = null): Promise<TeamRunRecord[]> {
  const rows = await query<RunRow>(
    db,
    `SELECT ${RUN_COLUMNS} FROM tick_team_runs WHERE minute = $1 ${teamIds === null ? '' : 'AND team_id = ANY($2)'} ORDER BY team_id`,
    teamIds === null ? [new Date(minute)] : [new Date(minute), teamIds],
  );
  return rows.map(toRun);
}

/** What the books stage announces of a minute's runs: how many were stored, and those with an error or rejections. */
export interface RunEvents {
  teamsRun: number;
  runs: Array<Pick<TeamRunRecord, 'teamId' | 'error' | 'rejections'>>;
}

/**
 * The minute's runs as the activity events need them: a count and the few runs with something to tell,
 * instead of every run's signals, intents and logs (1,000 rows of JSON a minute at 1,000 teams).
 */
export async function selectRunEvents(db: Queryable, minute: number): Promise<RunEvents> {
  const rows = await query<{ team_id: string | null; error: SandboxError | null; rejections: StoredRejection[] | null; teams_run: string }>(
    db,
    `SELECT r.team_id, r.error, r.rejections, c.teams_run
       FROM (SELECT count(*)::text AS teams_run FROM tick_team_runs WHERE minute = $1) c
       LEFT JOIN tick_team_runs r ON r.minute = $1 AND (r.error IS NOT NULL AND r.error <> 'null'::jsonb OR r.rejections <> '[]'::jsonb)
      ORDER BY r.team_id`,
    [new Date(minute)],
  );
  return {
    teamsRun: Number(rows[0]?.teams_run ?? 0),
    runs: rows.flatMap((row) => (row.team_id === null ? [] : [{ teamId: row.team_id, error: row.error, rejections: row.rejections ?? [] }])),
  };
}

/** The intents of a minute's stored runs of these teams (what the orders stage records), in team order. */
export async function selectRunIntents(db: Queryable, minute: number, teamIds: readonly string[]): Promise<OrderIntent[]> {
  const rows = await query<{ intents: OrderIntent[] }>(
    db,
    `SELECT intents FROM tick_team_runs WHERE minute = $1 AND team_id = ANY($2) AND jsonb_array_length(intents) > 0 ORDER BY team_id`,
    [new Date(minute), teamIds],
  );
  return rows.flatMap((row) => row.intents);
}

/**
 * A team's latest runs, newest first, optionally before a minute (paging): its signals, errors, captured
 * logs and CPU time per minute, for the team's status and logs endpoints.
 */
export async function recentTeamRuns(db: Queryable, teamId: string, limit = 60, beforeMinute?: number): Promise<TeamRunRecord[]> {
  const rows = await query<RunRow>(db, `SELECT ${RUN_COLUMNS} FROM tick_team_runs WHERE team_id = $1 AND minute < $2 ORDER BY minute DESC LIMIT $3`, [
    teamId,
    new Date(beforeMinute ?? 8_640_000_000_000_000),
    limit,
  ]);
  return rows.map(toRun);
}

function toRun(row: RunRow): TeamRunRecord {
  return {
    minute: row.minute.getTime(),
    teamId: row.team_id,
    versionId: row.version_id === null ? null : Number(row.version_id),
    shard: row.shard,
    worker: row.worker,
    signals: row.signals,
    intents: row.intents,
    rejections: row.rejections,
    error: row.error,
    logs: row.logs,
    cpuMs: row.cpu_ms,
    wallMs: row.wall_ms,
  };
}

export async function loadRiskStates(db: Queryable, teamIds: readonly string[]): Promise<Map<string, RiskState>> {
  const rows = await query<{ team_id: string; state: RiskState }>(db, 'SELECT team_id, state FROM team_risk_state WHERE team_id = ANY($1)', [teamIds]);
  return new Map(rows.map((row) => [row.team_id, row.state]));
}

export interface ShardRecord {
  minute: number;
  shard: number;
  worker: string;
  teams: number;
  teamsRun: number;
  stageMs: StageTimings;
}

export async function upsertShard(db: Queryable, shard: ShardRecord): Promise<void> {
  await query(
    db,
    `INSERT INTO tick_shards (minute, shard, worker, teams, teams_run, stage_ms) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (minute, shard) DO UPDATE SET worker = EXCLUDED.worker, teams = EXCLUDED.teams, teams_run = tick_shards.teams_run + EXCLUDED.teams_run,
       stage_ms = EXCLUDED.stage_ms, completed_at = now()`,
    [new Date(shard.minute), shard.shard, shard.worker, shard.teams, shard.teamsRun, JSON.stringify(shard.stageMs)],
  );
}

export async function selectShards(db: Queryable, minute: number): Promise<ShardRecord[]> {
  const rows = await query<{ minute: Date; shard: number; worker: string; teams: number; teams_run: number; stage_ms: StageTimings }>(
    db,
    'SELECT minute, shard, worker, teams, teams_run, stage_ms FROM tick_shards WHERE minute = $1 ORDER BY shard',
    [new Date(minute)],
  );
  return rows.map((row) => ({ minute: row.minute.getTime(), shard: row.shard, worker: row.worker, teams: row.teams, teamsRun: row.teams_run, stageMs: row.stage_ms }));
}

/** The latest stored run before `before` of each team (one index probe per team). */
export async function lastRunMinutes(db: Queryable, teamIds: readonly string[], before: number): Promise<Map<string, number>> {
  if (teamIds.length === 0) return new Map();
  const rows = await query<{ team_id: string; minute: Date }>(
    db,
    `SELECT t.team_id, r.minute FROM unnest($1::text[]) AS t(team_id)
     CROSS JOIN LATERAL (SELECT minute FROM tick_team_runs WHERE team_id = t.team_id AND minute < $2 ORDER BY minute DESC LIMIT 1) AS r`,
    [teamIds, new Date(before)],
  );
  return new Map(rows.map((row) => [row.team_id, row.minute.getTime()]));
}
