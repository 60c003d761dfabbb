/**
 * Broker events (fills and order states) into the ledger, any number in one transaction: the books of
 * every team concerned are locked once, in team-id order like every other writer (so concurrent writers
 * cannot deadlock), their orders are locked and read, the pure plan (`eventPlan.ts`) decides each event
 * in the order given, and the writes go out in a handful of statements whatever the batch size.
 *
 * Trade statistics (`tradeStats.ts`) advance in the same transaction, from the fills it records.
 *
 * A fill's execution id is claimed by inserting it: the plan treats ids already in `fills` as duplicates,
 * and the insert must then record every id the plan claimed. If it did not, another transaction recorded
 * one of them meanwhile (only possible when a broker reuses an execution id across orders of different
 * teams, whose locks we do not share); the whole batch is rolled back and decided again.
 */
import type { PgPool } from '../../data/postgres/pool.ts';
import { lockBooks, writeBooks } from './books.ts';
import { LedgerError } from './errors.ts';
import { eventOrderId, planBrokerEvents, type BrokerEvent, type BrokerEventPlan, type BrokerEventResult } from './eventPlan.ts';
import { insertFills, recordedExecutionIds } from './fills.ts';
import { orderTeams, selectOrders, updateOrders } from './orders.ts';
import { inTransaction } from '../../data/postgres/transaction.ts';
import { flagEvents } from './unattributed.ts';
import { advanceTradeStats, type PnlFill } from './tradeStats.ts';

class ExecutionClaimLost extends Error {
  override name = 'ExecutionClaimLost';
}

const ATTEMPTS = 3;

/** The fills of a plan that count towards trade statistics: applied, with realised P&L. */
function pnlFills(fills: BrokerEventPlan['fills']): PnlFill[] {
  const out: PnlFill[] = [];
  for (const { fill, teamId, record } of fills)
    if (record.applied && record.realizedPnl !== null) out.push({ teamId, clientOrderId: fill.clientOrderId, realizedPnl: record.realizedPnl });
  return out;
}

export async function applyBrokerEvents(pool: PgPool, events: readonly BrokerEvent[]): Promise<BrokerEventResult[]> {
  if (events.length === 0) return [];
  const orderIds = [...new Set(events.map(eventOrderId))];
  // Orders never move between teams and are never deleted, so the team read now stays true.
  const teamOf = await orderTeams(pool, orderIds);
  if (teamOf.size === 0) {
    const plan = planBrokerEvents(events, { teamOf, books: new Map(), orders: new Map(), recordedExecutions: new Set() });
    await flagEvents(pool, plan.flags);
    return plan.results;
  }
  const teamIds = [...new Set(teamOf.values())].sort();
  const ours = [...teamOf.keys()];
  const executionIds = [...new Set(events.flatMap((event) => (event.kind === 'fill' && teamOf.has(event.fill.clientOrderId) ? [event.fill.executionId] : [])))];
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await inTransaction(pool, async (client) => {
        const books = await lockBooks(client, teamIds);
        const missing = teamIds.find((teamId) => !books.has(teamId));
        if (missing !== undefined) throw new LedgerError('no_book', `team ${missing} has no book: call ensureTeamBook before recording its orders`);
        const orders = await selectOrders(client, 'client_order_id = ANY($1)', [ours], 'ORDER BY client_order_id FOR UPDATE');
        const recordedExecutions = await recordedExecutionIds(client, executionIds);
        const plan = planBrokerEvents(events, { teamOf, books, orders: new Map(orders.map((order) => [order.intent.clientOrderId, order])), recordedExecutions });
        await advanceTradeStats(client, pnlFills(plan.fills));
        const claimed = await insertFills(client, plan.fills);
        if (claimed.size !== plan.fills.length) throw new ExecutionClaimLost(`${plan.fills.length - claimed.size} execution id(s) recorded by a concurrent transaction`);
        await flagEvents(client, plan.flags);
        await updateOrders(client, plan.orders);
        await writeBooks(client, plan.books);
        return plan.results;
      });
    } catch (error) {
      if (!(error instanceof ExecutionClaimLost) || attempt >= ATTEMPTS) throw error;
    }
  }
}
