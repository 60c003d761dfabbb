/**
 * The leaderboard's figures from Postgres. Each team's equity metrics advance incrementally: the
 * accumulator state (table `leaderboard_team_state`) takes every snapshot newer than the last one it
 * saw, once, so a computation costs O(teams + new snapshots) whatever the length of the season.
 * Trade statistics are summed from `fills` (one realised P&L per closing sell order).
 */
import type pg from 'pg';
import { decimalStringToMoney, toDollars } from '../trading/money.ts';
import { MetricsAccumulator, type MetricsAccumulatorState, type PerformanceMetrics } from '../trading/metrics/metrics.ts';
import type { TeamStanding } from './view.ts';

/** Equities kept per team for the sparkline. */
export const SPARKLINE_POINTS = 120;

interface StateRow {
  team_id: string;
  last_minute: Date;
  accumulator: MetricsAccumulatorState;
  recent: number[];
}

interface TeamState {
  lastMinute: number;
  accumulator: MetricsAccumulatorState;
  recent: number[];
}

const money = (text: string): number => decimalStringToMoney(text);

/** Feeds every snapshot up to `minute` the state has not seen yet; returns how many were taken. */
export async function advanceTeamStates(client: pg.PoolClient, minute: number): Promise<number> {
  const states = new Map<string, TeamState>();
  const { rows: stateRows } = await client.query<StateRow>('SELECT team_id, last_minute, accumulator, recent FROM leaderboard_team_state');
  for (const row of stateRows) states.set(row.team_id, { lastMinute: row.last_minute.getTime(), accumulator: row.accumulator, recent: row.recent });

  const { rows } = await client.query<{ team_id: string; minute: Date; equity: string }>({
    text: `SELECT s.team_id, s.minute, s.equity::text AS equity
             FROM equity_snapshots s LEFT JOIN leaderboard_team_state m ON m.team_id = s.team_id
            WHERE s.minute <= $1 AND (m.last_minute IS NULL OR s.minute > m.last_minute)
            ORDER BY s.team_id, s.minute`,
    values: [new Date(minute)],
  });
  if (rows.length === 0) return 0;

  const changed = new Map<string, TeamState>();
  interface Advancing {
    teamId: string;
    accumulator: MetricsAccumulator;
    recent: number[];
    lastMinute: number;
  }
  const keep = (team: Advancing) => changed.set(team.teamId, { lastMinute: team.lastMinute, accumulator: team.accumulator.state(), recent: team.recent });
  let current = null as Advancing | null;
  for (const row of rows) {
    if (current?.teamId !== row.team_id) {
      if (current) keep(current);
      const saved = states.get(row.team_id);
      current = {
        teamId: row.team_id,
        accumulator: new MetricsAccumulator({}, saved?.accumulator),
        recent: [...(saved?.recent ?? [])],
        lastMinute: saved?.lastMinute ?? Number.NEGATIVE_INFINITY,
      };
    }
    const at = row.minute.getTime();
    const equity = money(row.equity);
    current.accumulator.observeEquity(at, equity);
    current.recent.push(toDollars(equity));
    if (current.recent.length > SPARKLINE_POINTS) current.recent.splice(0, current.recent.length - SPARKLINE_POINTS);
    current.lastMinute = at;
  }
  if (current) keep(current);

  const records = [...changed].map(([teamId, state]) => ({
    team_id: teamId,
    last_minute: new Date(state.lastMinute).toISOString(),
    accumulator: state.accumulator,
    recent: state.recent,
  }));
  await client.query(
    `INSERT INTO leaderboard_team_state (team_id, last_minute, accumulator, recent)
     SELECT team_id, last_minute, accumulator, recent
       FROM jsonb_to_recordset($1::jsonb) AS r(team_id text, last_minute timestamptz, accumulator jsonb, recent jsonb)
     ON CONFLICT (team_id) DO UPDATE SET last_minute = EXCLUDED.last_minute, accumulator = EXCLUDED.accumulator,
       recent = EXCLUDED.recent, updated_at = now()`,
    [JSON.stringify(records)],
  );
  return rows.length;
}

export interface TradeStats {
  tradeCount: number;
  winningTrades: number;
  grossProfit: number;
  grossLoss: number;
}

/** Closing trades (sell orders with realised P&L) per team, optionally only those executed from `since`. */
export async function tradeStats(db: pg.Pool | pg.PoolClient, since: number | null, teamId: string | null = null): Promise<Map<string, TradeStats>> {
  const { rows } = await db.query<{ team_id: string; trades: string; wins: string; gross_profit: string; gross_loss: string }>({
    text: `WITH trades AS (
             SELECT team_id, client_order_id, sum(realized_pnl) AS pnl
               FROM fills
              WHERE applied AND realized_pnl IS NOT NULL AND ($1::timestamptz IS NULL OR executed_at >= $1) AND ($2::text IS NULL OR team_id = $2)
              GROUP BY team_id, client_order_id)
           SELECT team_id, count(*)::text AS trades, count(*) FILTER (WHERE pnl > 0)::text AS wins,
                  coalesce(sum(pnl) FILTER (WHERE pnl > 0), 0)::text AS gross_profit,
                  coalesce(-sum(pnl) FILTER (WHERE pnl < 0), 0)::text AS gross_loss
             FROM trades GROUP BY team_id`,
    values: [since === null ? null : new Date(since), teamId],
  });
  return new Map(
    rows.map((row) => [
      row.team_id,
      { tradeCount: Number(row.trades), winningTrades: Number(row.wins), grossProfit: money(row.gross_profit), grossLoss: money(row.gross_loss) },
    ]),
  );
}

const NO_TRADES: TradeStats = { tradeCount: 0, winningTrades: 0, grossProfit: 0, grossLoss: 0 };

function currentDrawdown(state: MetricsAccumulatorState): number | null {
  const { lastEquity } = state;
  const { peak, observations } = state.drawdown;
  if (observations === 0 || lastEquity === null || peak <= 0 || lastEquity >= peak) return null;
  return 1 - lastEquity / peak;
}

/** Every live team with a snapshot, at its latest snapshot the state has taken. */
export async function readStandings(db: pg.Pool | pg.PoolClient, haltedTeams: ReadonlySet<string>): Promise<TeamStanding[]> {
  const { rows } = await db.query<{
    team_id: string;
    name: string;
    enabled: boolean;
    last_minute: Date;
    accumulator: MetricsAccumulatorState;
    recent: number[];
    equity: string;
    cash: string;
    positions_value: string;
    starting_cash: string;
  }>(
    `SELECT m.team_id, t.name, t.enabled, m.last_minute, m.accumulator, m.recent,
            s.equity::text AS equity, s.cash::text AS cash, s.positions_value::text AS positions_value, b.starting_cash::text AS starting_cash
       FROM leaderboard_team_state m
       JOIN teams t ON t.id = m.team_id AND t.removed_at IS NULL
       JOIN equity_snapshots s ON s.team_id = m.team_id AND s.minute = m.last_minute
       JOIN team_books b ON b.team_id = m.team_id`,
  );
  const trades = await tradeStats(db, null);
  return rows.map((row) => {
    const stats = trades.get(row.team_id) ?? NO_TRADES;
    const state: MetricsAccumulatorState = { ...row.accumulator, ...stats };
    return {
      teamId: row.team_id,
      name: row.name,
      enabled: row.enabled,
      halted: haltedTeams.has(row.team_id),
      minute: row.last_minute.getTime(),
      equity: toDollars(money(row.equity)),
      cash: toDollars(money(row.cash)),
      positionsValue: toDollars(money(row.positions_value)),
      startingCash: toDollars(money(row.starting_cash)),
      metrics: new MetricsAccumulator({}, state).snapshot(),
      currentDrawdown: currentDrawdown(state),
      sparkline: row.recent,
    };
  });
}

export interface WindowedTeamMetrics {
  metrics: PerformanceMetrics;
  currentDrawdown: number | null;
  /** Equities (dollars) at the window's first and last snapshots, and their extremes. */
  first: number;
  last: number;
  peak: number;
  trough: number;
  firstMinute: number;
  lastMinute: number;
}

/**
 * Metrics over a window (`?days=`), computed from the snapshots from `since` on: used by the
 * metrics endpoints when a period is asked for (not cached; bounded by the window).
 */
export async function windowedMetrics(
  db: pg.Pool,
  since: number,
  teamId: string | null,
): Promise<Map<string, WindowedTeamMetrics>> {
  const { rows } = await db.query<{ team_id: string; minute: Date; equity: string }>({
    text: `SELECT team_id, minute, equity::text AS equity FROM equity_snapshots
            WHERE minute >= $1 AND ($2::text IS NULL OR team_id = $2) ORDER BY team_id, minute`,
    values: [new Date(since), teamId],
  });
  const trades = await tradeStats(db, since, teamId);
  const result = new Map<string, WindowedTeamMetrics>();
  let i = 0;
  while (i < rows.length) {
    const team = rows[i]!.team_id;
    const accumulator = new MetricsAccumulator();
    const first = toDollars(money(rows[i]!.equity));
    const firstMinute = rows[i]!.minute.getTime();
    let last = first;
    let lastMinute = firstMinute;
    let peak = first;
    let trough = first;
    for (; i < rows.length && rows[i]!.team_id === team; i++) {
      const equity = toDollars(money(rows[i]!.equity));
      accumulator.observeEquity(rows[i]!.minute.getTime(), equity);
      last = equity;
      lastMinute = rows[i]!.minute.getTime();
      peak = Math.max(peak, equity);
      trough = Math.min(trough, equity);
    }
    const state = { ...accumulator.state(), ...(trades.get(team) ?? NO_TRADES) };
    result.set(team, { metrics: new MetricsAccumulator({}, state).snapshot(), currentDrawdown: currentDrawdown(state), first, last, firstMinute, lastMinute, peak, trough });
  }
  return result;
}
