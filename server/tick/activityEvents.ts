/** The activity events of a completed minute: its trades, refused orders, strategy errors and the tick itself. */
import { query } from '../../data/postgres/query.ts';
import type { Queryable } from '../../data/postgres/transaction.ts';
import type { ActivityEvent } from '../live/events.ts';
import { decimalStringToMoney, toDollars } from '../trading/money.ts';
import type { RunEvents, StageTimings, TickRecord } from './tickStore.ts';
import { MINUTE_MS } from './tickTypes.ts';

export async function activityEvents(db: Queryable, tick: TickRecord, { teamsRun, runs }: RunEvents, stageMs: StageTimings): Promise<ActivityEvent[]> {
  const at = Date.now();
  const events: ActivityEvent[] = [...(await tradeEvents(db, tick.minute))];
  for (const run of runs) {
    if (run.error !== null) events.push({ type: 'strategy_error', at, teamId: run.teamId, kind: run.error.kind, message: run.error.message });
    for (const rejection of run.rejections)
      events.push({ type: 'order_rejected', at, teamId: run.teamId, symbol: rejection.symbol, code: rejection.code, message: rejection.message });
  }
  events.push(...(await brokerRefusals(db, tick.minute, at)));
  const stages: Record<string, number> = {};
  for (const [stage, ms] of Object.entries(stageMs)) if (typeof ms === 'number' && stage !== 'total') stages[stage] = ms;
  events.push({ type: 'tick', at, minute: tick.minute, teams: teamsRun, durationMs: stageMs.total ?? 0, stages });
  return events;
}

/**
 * The two reads of every minute's books stage, exported for the test that keeps them on an index
 * (tests/integration/tick/minuteQueries.test.ts): on a scan they grow with every minute of the season.
 */
export const MINUTE_QUERIES = {
  /** $1, $2: the minute and the next, as timestamps (fills_executed_idx). */
  trades: `SELECT team_id, symbol, side, quantity, price, client_order_id, executed_at FROM fills
     WHERE applied AND executed_at >= $1 AND executed_at < $2 ORDER BY executed_at, team_id, client_order_id`,
  /** $1: the minute (orders_rejected_minute_idx). */
  refusals: `SELECT team_id, symbol, client_order_id, broker_reason FROM orders WHERE minute = $1 AND status = 'rejected' ORDER BY team_id, seq`,
} as const;

async function tradeEvents(db: Queryable, minute: number): Promise<ActivityEvent[]> {
  const fills = await query<{ team_id: string; symbol: string; side: 'buy' | 'sell'; quantity: string; price: string; client_order_id: string; executed_at: Date }>(
    db,
    MINUTE_QUERIES.trades,
    [new Date(minute), new Date(minute + MINUTE_MS)],
  );
  return fills.map((fill) => ({
    type: 'trade',
    at: fill.executed_at.getTime(),
    teamId: fill.team_id,
    symbol: fill.symbol,
    side: fill.side,
    quantity: Number(fill.quantity),
    price: toDollars(decimalStringToMoney(fill.price)),
    clientOrderId: fill.client_order_id,
  }));
}

async function brokerRefusals(db: Queryable, minute: number, at: number): Promise<ActivityEvent[]> {
  const refused = await query<{ team_id: string; symbol: string; client_order_id: string; broker_reason: string | null }>(db, MINUTE_QUERIES.refusals, [new Date(minute)]);
  return refused.map((order) => ({
    type: 'order_rejected',
    at,
    teamId: order.team_id,
    symbol: order.symbol,
    code: 'broker_rejected',
    message: order.broker_reason ?? 'rejected',
    clientOrderId: order.client_order_id,
  }));
}
