/**
 * The leaderboard's figures per team: the equity metrics from the board (`boardState.ts`, advanced in
 * memory from each minute's snapshots, rebuilt from Postgres by `boardStore.ts`), trade statistics
 * (one realised P&L per closing sell order) from `team_trade_stats`, which the ledger advances with every
 * fill it records (windows sum `fills` directly), names and starting cash from the team tables.
 */
import type pg from 'pg';
import type { Queryable } from '../../data/postgres/transaction.ts';
import { decimalStringToMoney, toDollars, type Money } from '../trading/money.ts';
import { MetricsAccumulator, type MetricsAccumulatorState, type PerformanceMetrics } from '../trading/metrics/metrics.ts';
import { NO_TRADES, readTradeStats, type TradeStats } from '../ledger/tradeStats.ts';
import type { BoardState } from './boardState.ts';
import { rebuildBoard } from './boardStore.ts';
import type { TeamStanding } from './view.ts';

const money = (text: string): number => decimalStringToMoney(text);

export type { TradeStats } from '../ledger/tradeStats.ts';

/**
 * Closing trades (sell orders with realised P&L) per team summed from `fills`, optionally only those
 * executed from `since`: what `team_trade_stats` holds for the whole season (the `since` null case), and
 * the windows of the metrics endpoints.
 */
export async function tradeStats(db: Queryable, since: number | null, teamId: string | null = null): Promise<Map<string, TradeStats>> {
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
    rows.map((row) => [row.team_id, { tradeCount: Number(row.trades), winningTrades: Number(row.wins), grossProfit: money(row.gross_profit), grossLoss: money(row.gross_loss) }]),
  );
}

function currentDrawdown(state: MetricsAccumulatorState): number | null {
  const { lastEquity } = state;
  const { peak, observations } = state.drawdown;
  if (observations === 0 || lastEquity === null || peak <= 0 || lastEquity >= peak) return null;
  return 1 - lastEquity / peak;
}

export interface TeamInfo {
  name: string;
  enabled: boolean;
  startingCash: Money;
}

/** The teams still in the competition that have a book, by id. */
export async function teamInfos(db: Queryable): Promise<Map<string, TeamInfo>> {
  const { rows } = await db.query<{ id: string; name: string; enabled: boolean; starting_cash: string }>(
    `SELECT t.id, t.name, t.enabled, b.starting_cash::text AS starting_cash
       FROM teams t JOIN team_books b ON b.team_id = t.id WHERE t.removed_at IS NULL`,
  );
  return new Map(rows.map((row) => [row.id, { name: row.name, enabled: row.enabled, startingCash: money(row.starting_cash) }]));
}

/** Every live team with a snapshot on the board, at its latest snapshot. */
export function standingsOf(board: BoardState, teams: ReadonlyMap<string, TeamInfo>, trades: ReadonlyMap<string, TradeStats>, haltedTeams: ReadonlySet<string>): TeamStanding[] {
  const out: TeamStanding[] = [];
  for (const [teamId, team] of board.teams) {
    const info = teams.get(teamId);
    if (info === undefined) continue;
    const state: MetricsAccumulatorState = { ...team.accumulator.state(), ...(trades.get(teamId) ?? NO_TRADES) };
    out.push({
      teamId,
      name: info.name,
      enabled: info.enabled,
      halted: haltedTeams.has(teamId),
      minute: team.latest.minute,
      equity: toDollars(team.latest.equity),
      cash: toDollars(team.latest.cash),
      positionsValue: toDollars(team.latest.positionsValue),
      startingCash: toDollars(info.startingCash),
      metrics: new MetricsAccumulator({}, state).snapshot(),
      currentDrawdown: currentDrawdown(state),
      sparkline: [...team.recent],
    });
  }
  return out;
}

/** The latest minute a Date can hold: "every snapshot stored". */
const END_OF_TIME = 8_640_000_000_000_000;

/**
 * Standings as a fresh process sees them: the board rebuilt from Postgres (checkpoint and the snapshots
 * after it), without writing anything.
 */
export async function readStandings(db: Queryable, haltedTeams: ReadonlySet<string>): Promise<TeamStanding[]> {
  const board = await rebuildBoard(db, END_OF_TIME);
  const [teams, trades] = [await teamInfos(db), await readTradeStats(db)];
  return standingsOf(board, teams, trades, haltedTeams);
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
export async function windowedMetrics(db: pg.Pool, since: number, teamId: string | null): Promise<Map<string, WindowedTeamMetrics>> {
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
