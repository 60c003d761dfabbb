/**
 * What a team (or an admin) reads about one team: its latest book snapshot, trades, orders, its
 * strategy's status and captured logs, and the recent ticks. Read-only queries; amounts leave as
 * exact decimal strings where the original API used strings, as dollars where it used numbers.
 */
import type { PgPool } from '../../data/postgres/pool.ts';
import { decimalStringToMoney, toDollars } from '../trading/money.ts';

const dollars = (text: string): number => toDollars(decimalStringToMoney(text));

export interface LatestSnapshot {
  minute: Date;
  cash: number;
  equity: number;
  positions: Record<string, { quantity: number; price: number | null; value: number; costBasis: number }>;
}

export async function latestSnapshot(pg: PgPool, teamId: string): Promise<LatestSnapshot | null> {
  const { rows } = await pg.query<{ minute: Date; cash: string; equity: string; positions: Record<string, { quantity: number; price: string | null; costBasis: string }> }>(
    `SELECT minute, cash::text AS cash, equity::text AS equity, positions FROM equity_snapshots WHERE team_id = $1 ORDER BY minute DESC LIMIT 1`,
    [teamId],
  );
  const row = rows[0];
  if (!row) return null;
  const positions: LatestSnapshot['positions'] = {};
  for (const [symbol, position] of Object.entries(row.positions)) {
    const price = position.price === null ? null : dollars(position.price);
    const costBasis = dollars(position.costBasis);
    positions[symbol] = { quantity: position.quantity, price, costBasis, value: price === null ? costBasis : Math.round(price * position.quantity * 10_000) / 10_000 };
  }
  return { minute: row.minute, cash: dollars(row.cash), equity: dollars(row.equity), positions };
}

export async function countTrades(pg: PgPool, teamId: string): Promise<number> {
  const { rows } = await pg.query<{ n: number }>('SELECT count(*)::int AS n FROM fills WHERE team_id = $1 AND applied', [teamId]);
  return rows[0]?.n ?? 0;
}

export interface TradeRow {
  team_id: string;
  timestamp: string;
  symbol: string;
  side: 'buy' | 'sell';
  quantity: string;
  requested_price: string;
  execution_price: string;
  order_type: string;
  broker_order_id: string | null;
  client_order_id: string;
  execution_id: string;
  realized_pnl: string | null;
  applied: boolean;
  problem: string | null;
}

/** The team's executions, newest first (the original API's trade rows plus ids and realised P&L). */
export async function listTrades(pg: PgPool, teamId: string, limit: number): Promise<TradeRow[]> {
  const { rows } = await pg.query<TradeRow>(
    `SELECT f.team_id, to_char(f.executed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS timestamp, f.symbol, f.side,
            f.quantity::text AS quantity, coalesce(o.limit_price, o.reference_price)::text AS requested_price, f.price::text AS execution_price,
            o.type AS order_type, f.broker_order_id, f.client_order_id, f.execution_id, f.realized_pnl::text AS realized_pnl, f.applied, f.problem
       FROM fills f JOIN orders o ON o.client_order_id = f.client_order_id
      WHERE f.team_id = $1 ORDER BY f.executed_at DESC, f.execution_id DESC LIMIT $2`,
    [teamId, limit],
  );
  return rows;
}

export interface OrderRow {
  client_order_id: string;
  minute: string;
  seq: number;
  symbol: string;
  side: string;
  quantity: number;
  order_type: string;
  limit_price: string | null;
  requested_price: string;
  reason: string | null;
  status: string;
  filled_quantity: number;
  filled_avg_price: string | null;
  broker_order_id: string | null;
  broker_reason: string | null;
  submit_attempts: number;
  last_submit_error: string | null;
  updated_at: string;
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Orders newest first, `limit` per page from `offset`. */
export async function listOrders(pg: PgPool, teamId: string, limit: number, offset: number, status: string | null): Promise<OrderRow[]> {
  const { rows } = await pg.query<OrderRow>(
    `SELECT client_order_id, to_char(minute AT TIME ZONE 'UTC', ${ISO}) AS minute, seq, symbol, side, quantity::int AS quantity, type AS order_type,
            limit_price::text AS limit_price, reference_price::text AS requested_price, reason, status, filled_quantity::int AS filled_quantity,
            filled_avg_price::text AS filled_avg_price, broker_order_id, broker_reason, submit_attempts, last_submit_error,
            to_char(updated_at AT TIME ZONE 'UTC', ${ISO}) AS updated_at
       FROM orders WHERE team_id = $1 AND ($3::text IS NULL OR status = $3)
      ORDER BY minute DESC, seq DESC LIMIT $4 OFFSET $2`,
    [teamId, offset, status, limit],
  );
  return rows;
}

export interface TeamRunSummary {
  lastRunAt: string | null;
  lastError: { minute: string; kind: string; message: string } | null;
  cpuMsPerMinute: { average: number; max: number; minutes: number } | null;
  quarantine: { quarantined: boolean; reason: string | null; since: string | null };
}

/**
 * From the minute job's per-team runs (table tick_team_runs): the last error, CPU per minute over
 * the latest 60 runs, and whether the sandbox quarantined the strategy (its latest run says so).
 */
export async function teamRunSummary(pg: PgPool, teamId: string): Promise<TeamRunSummary> {
  const { rows } = await pg.query<{ minute: Date; error: { kind?: string; message?: string } | null; cpu_ms: number }>(
    'SELECT minute, error, cpu_ms FROM tick_team_runs WHERE team_id = $1 ORDER BY minute DESC LIMIT 60',
    [teamId],
  );
  const errored = await pg.query<{ minute: Date; error: { kind?: string; message?: string } }>(
    'SELECT minute, error FROM tick_team_runs WHERE team_id = $1 AND error IS NOT NULL ORDER BY minute DESC LIMIT 1',
    [teamId],
  );
  const lastErrorRow = errored.rows[0];
  const latest = rows[0];
  let quarantinedSince: Date | null = null;
  for (const row of rows) {
    if (row.error?.kind !== 'quarantined') break;
    quarantinedSince = row.minute;
  }
  const quarantined = latest?.error?.kind === 'quarantined';
  return {
    lastRunAt: latest ? latest.minute.toISOString() : null,
    lastError: lastErrorRow ? { minute: lastErrorRow.minute.toISOString(), kind: lastErrorRow.error.kind ?? 'unknown', message: lastErrorRow.error.message ?? '' } : null,
    cpuMsPerMinute:
      rows.length === 0 ? null : { average: rows.reduce((sum, row) => sum + row.cpu_ms, 0) / rows.length, max: Math.max(...rows.map((row) => row.cpu_ms)), minutes: rows.length },
    quarantine: {
      quarantined,
      reason: quarantined ? (latest.error?.message ?? null) : null,
      since: quarantined && quarantinedSince ? quarantinedSince.toISOString() : null,
    },
  };
}

export interface LogPage {
  entries: Array<{ minute: string; lines: unknown[] }>;
  nextBefore: string | null;
}

/** Captured console output, newest minute first, `limit` minutes per page. */
export async function teamLogs(pg: PgPool, teamId: string, limit: number, before: Date | null): Promise<LogPage> {
  const { rows } = await pg.query<{ minute: Date; logs: unknown[] }>(
    `SELECT minute, logs FROM tick_team_runs WHERE team_id = $1 AND jsonb_array_length(logs) > 0 AND ($2::timestamptz IS NULL OR minute < $2)
      ORDER BY minute DESC LIMIT $3`,
    [teamId, before, limit + 1],
  );
  const page = rows.slice(0, limit);
  return {
    entries: page.map((row) => ({ minute: row.minute.toISOString(), lines: row.logs })),
    nextBefore: rows.length > limit ? page[page.length - 1]!.minute.toISOString() : null,
  };
}

export interface TickRow {
  minute: string;
  status: string;
  attempts: number;
  shards: number;
  clock: string;
  source: string;
  stale: boolean;
  teams: number;
  teams_run: number | null;
  fills_applied: number | null;
  stage_ms: Record<string, number>;
  errors: number;
  started_at: string;
  completed_at: string | null;
}

/** The latest minutes the job ran, newest first, with their timings per stage. */
export async function listRecentTicks(pg: PgPool, limit: number): Promise<TickRow[]> {
  const { rows } = await pg.query<TickRow>(
    `SELECT to_char(minute AT TIME ZONE 'UTC', ${ISO}) AS minute, status, attempts, shards, clock, source, stale,
            jsonb_array_length(teams) AS teams, teams_run, fills_applied, stage_ms, jsonb_array_length(errors) AS errors,
            to_char(started_at AT TIME ZONE 'UTC', ${ISO}) AS started_at, to_char(completed_at AT TIME ZONE 'UTC', ${ISO}) AS completed_at
       FROM ticks ORDER BY minute DESC LIMIT $1`,
    [limit],
  );
  return rows;
}
