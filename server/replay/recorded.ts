/**
 * A recorded season as Postgres holds it, read in one READ ONLY snapshot transaction (nothing is written,
 * and every table is seen at one instant even while a worker is still recording): the inputs a replay
 * rebuilds each minute from, and the outputs it compares with.
 */
import { query } from '../../data/postgres/query.ts';
import { inTransaction, type Queryable } from '../../data/postgres/transaction.ts';
import { selectSnapshots, type EquitySnapshot } from '../ledger/snapshots.ts';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { CompiledStrategy, SandboxError, Signal } from '../../sandbox/index.ts';
import { readStandings } from '../leaderboard/standings.ts';
import type { PerformanceMetrics } from '../trading/metrics/metrics.ts';
import { decimalStringToMoney, type Money } from '../trading/money.ts';
import type { OrderIntent, Side } from '../trading/types.ts';
import type { StoredBars } from '../tick/barsSnapshot.ts';
import type { DueTeam, StoredRejection, TickStatus } from '../tick/tickStore.ts';

export interface RecordedTick {
  minute: number;
  status: TickStatus;
  barHash: string;
  bars: StoredBars;
  prices: Record<string, number>;
  teams: DueTeam[];
  /** Wall clock of the minute's preparation (to find the registry in force when no condition row was recorded). */
  startedAt: number;
  errors: unknown[];
}

/** tick_conditions: absent for minutes recorded before the migration that added it. */
export interface RecordedConditions {
  registryVersion: number | null;
  simSlippageBps: number | null;
  haltedCompetition: boolean;
  haltedTeams: ReadonlySet<string>;
}

export interface RecordedRun {
  signals: Signal[];
  intents: OrderIntent[];
  rejections: StoredRejection[];
  error: SandboxError | null;
  versionId: number | null;
}

export interface RecordedFill {
  executionId: string;
  clientOrderId: string;
  teamId: string;
  symbol: string;
  side: Side;
  quantity: number;
  price: Money;
  at: number;
}

export interface RegistryVersionRow {
  version: number;
  text: string;
  createdAt: number;
}

/** A team's metrics as the leaderboard serves them, as of the last minute it took. */
export interface RecordedMetrics {
  minute: number;
  metrics: PerformanceMetrics;
}

export interface RecordedSeason {
  ticks: RecordedTick[];
  conditions: ReadonlyMap<number, RecordedConditions>;
  /** minute → team → the memory its isolate was loaded with. */
  loads: ReadonlyMap<number, ReadonlyMap<string, Record<string, unknown>>>;
  /** minute → team → its stored run. */
  runs: ReadonlyMap<number, ReadonlyMap<string, RecordedRun>>;
  registries: RegistryVersionRow[];
  bundles: ReadonlyMap<number, CompiledStrategy>;
  /** The competition's Math.random secret ('' when none was ever made: offline seeds). */
  randomSecret: string;
  /** Applied fills, by team, in execution order. */
  fills: ReadonlyMap<string, RecordedFill[]>;
  snapshots: ReadonlyMap<string, EquitySnapshot[]>;
  metrics: ReadonlyMap<string, RecordedMetrics>;
}

const groupBy = <T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> => {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const list = out.get(key(item)) ?? [];
    list.push(item);
    out.set(key(item), list);
  }
  return out;
};

export function readRecordedSeason(pool: PgPool): Promise<RecordedSeason> {
  return inTransaction(pool, readAll, true);
}

async function readAll(db: Queryable): Promise<RecordedSeason> {
  const tickRows = await query<{
    minute: Date;
    status: TickStatus;
    bar_hash: string;
    bars: StoredBars;
    prices: Record<string, number>;
    teams: DueTeam[];
    started_at: Date;
    errors: unknown[];
  }>(db, 'SELECT minute, status, bar_hash, bars, prices, teams, started_at, errors FROM ticks ORDER BY minute');
  const ticks = tickRows.map((row) => ({
    minute: row.minute.getTime(),
    status: row.status,
    barHash: row.bar_hash,
    bars: row.bars,
    prices: row.prices,
    teams: row.teams,
    startedAt: row.started_at.getTime(),
    errors: row.errors,
  }));

  const conditionRows = await query<{ minute: Date; registry_version: string | null; sim_slippage_bps: number | null; halted_competition: boolean; halted_teams: string[] }>(
    db,
    'SELECT minute, registry_version, sim_slippage_bps, halted_competition, halted_teams FROM tick_conditions',
  );
  const conditions = new Map(
    conditionRows.map((row) => [
      row.minute.getTime(),
      {
        registryVersion: row.registry_version === null ? null : Number(row.registry_version),
        simSlippageBps: row.sim_slippage_bps,
        haltedCompetition: row.halted_competition,
        haltedTeams: new Set(row.halted_teams),
      },
    ]),
  );

  const loads = new Map<number, Map<string, Record<string, unknown>>>();
  for (const row of await query<{ minute: Date; team_id: string; memory: Record<string, unknown> }>(db, 'SELECT minute, team_id, memory FROM tick_team_loads')) {
    const minute = row.minute.getTime();
    const byTeam = loads.get(minute) ?? new Map<string, Record<string, unknown>>();
    byTeam.set(row.team_id, row.memory);
    loads.set(minute, byTeam);
  }

  const runs = new Map<number, Map<string, RecordedRun>>();
  const runRows = await query<{
    minute: Date;
    team_id: string;
    version_id: string | null;
    signals: Signal[];
    intents: OrderIntent[];
    rejections: StoredRejection[];
    error: SandboxError | null;
  }>(db, 'SELECT minute, team_id, version_id, signals, intents, rejections, error FROM tick_team_runs');
  for (const row of runRows) {
    const minute = row.minute.getTime();
    const byTeam = runs.get(minute) ?? new Map<string, RecordedRun>();
    byTeam.set(row.team_id, {
      signals: row.signals,
      intents: row.intents,
      rejections: row.rejections,
      error: row.error,
      versionId: row.version_id === null ? null : Number(row.version_id),
    });
    runs.set(minute, byTeam);
  }

  const registries = (
    await query<{ version: string; source_text: string; created_at: Date }>(db, 'SELECT version, source_text, created_at FROM registry_versions ORDER BY version')
  ).map((row) => ({
    version: Number(row.version),
    text: row.source_text,
    createdAt: row.created_at.getTime(),
  }));

  const versionIds = [...new Set(ticks.flatMap((tick) => tick.teams.map((team) => team.versionId)))];
  const bundleRows = await query<{ id: string; bundle_code: string; bundle_source_map: string; bundle_filename: string }>(
    db,
    'SELECT id, bundle_code, bundle_source_map, bundle_filename FROM strategy_versions WHERE id = ANY($1) AND bundle_code IS NOT NULL',
    [versionIds],
  );
  const bundles = new Map(bundleRows.map((row) => [Number(row.id), { code: row.bundle_code, sourceMap: row.bundle_source_map, filename: row.bundle_filename }]));

  const [secret] = await query<{ value: string }>(db, "SELECT value FROM competition_secrets WHERE name = 'random-seed'");

  const fillRows = await query<{ execution_id: string; client_order_id: string; team_id: string; symbol: string; side: Side; quantity: string; price: string; executed_at: Date }>(
    db,
    'SELECT execution_id, client_order_id, team_id, symbol, side, quantity, price, executed_at FROM fills WHERE applied ORDER BY team_id, executed_at, client_order_id, execution_id',
  );
  const fills = groupBy(
    fillRows.map((row) => ({
      executionId: row.execution_id,
      clientOrderId: row.client_order_id,
      teamId: row.team_id,
      symbol: row.symbol,
      side: row.side,
      quantity: Number(row.quantity),
      price: decimalStringToMoney(row.price),
      at: row.executed_at.getTime(),
    })),
    (fill) => fill.teamId,
  );
  const snapshots = groupBy(await selectSnapshots(db, 'true', []), (snapshot) => snapshot.teamId);

  const metrics = new Map((await readStandings(db, new Set())).map((standing) => [standing.teamId, { minute: standing.minute, metrics: standing.metrics }]));

  return { ticks, conditions, loads, runs, registries, bundles, randomSecret: secret?.value ?? '', fills, snapshots, metrics };
}
