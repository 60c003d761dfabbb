/**
 * What the simulated broker does to open orders when a minute's bars arrive, as a pure function of
 * the orders and the bars: the same execution model as `SimBroker` (no look-ahead, next-bar open plus
 * slippage for market orders, trade-through for limits, a price collar on market buys, nothing on a
 * missing or zero-volume bar, day orders expiring at their session's close).
 *
 * The live competition keeps no broker state in memory: the open orders ARE the ledger's open orders,
 * and an execution id is derived from the order (`sim-<client order id>-1`; sim orders fill whole),
 * so a worker that crashes halfway through a minute's fills and a second one redoing them produce
 * the same executions, which the ledger applies once.
 */
import type { Bar } from '../../data/market/bar.ts';
import { embeddedCalendar, newYorkDate, type MarketCalendar } from '../../data/market/calendar.ts';
import { slippedMarketPrice } from '../trading/brokers/sim/simBroker.ts';
import { toMoney, type Money } from '../trading/money.ts';
import { formatDollars } from '../trading/orders/formatMoney.ts';
import { marketBuyCeiling } from '../trading/orders/validate.ts';
import type { BrokerOrderState, Fill, OrderIntent, OrderStatus } from '../trading/types.ts';

/** An order the simulated broker holds (the ledger's view of it). */
export interface SimOpenOrder {
  intent: OrderIntent;
  status: OrderStatus;
  filledQuantity: number;
}

export interface SimExecutionOptions {
  /** Adverse move of market fills, basis points. */
  slippageBps: number;
  /** Market buys never fill above reference price × (1 + collar). */
  marketBuyCollarBps: number;
  calendar?: MarketCalendar;
}

export type SimDecision = { kind: 'fill'; fill: Fill } | { kind: 'end'; state: BrokerOrderState };

export const simBrokerOrderId = (clientOrderId: string): string => `sim-${clientOrderId}`;
export const simExecutionId = (clientOrderId: string): string => `sim-${clientOrderId}-1`;

const HELD: ReadonlySet<OrderStatus> = new Set(['accepted', 'partially_filled']);

function ended(order: SimOpenOrder, status: 'canceled' | 'expired', reason: string, at: number): BrokerOrderState {
  const { intent } = order;
  return {
    clientOrderId: intent.clientOrderId,
    brokerOrderId: simBrokerOrderId(intent.clientOrderId),
    symbol: intent.symbol,
    side: intent.side,
    quantity: intent.quantity,
    status,
    filledQuantity: order.filledQuantity,
    filledAvgPrice: null,
    reason,
    updatedAt: at,
  };
}

function fillPrice(intent: OrderIntent, bar: Bar, slippageBps: number): Money | null {
  if (intent.limitPrice === null) return slippedMarketPrice(bar.open, intent.side, slippageBps);
  const open = toMoney(bar.open);
  if (intent.side === 'buy') return toMoney(bar.low) <= intent.limitPrice ? Math.min(open, intent.limitPrice) : null;
  return toMoney(bar.high) >= intent.limitPrice ? Math.max(open, intent.limitPrice) : null;
}

/**
 * The executions and order ends the bars of `minute` cause, in the orders' submission order
 * (minute, team, sequence). Orders the broker does not hold (pending submission, ended) are ignored.
 */
export function simulateMinute(orders: readonly SimOpenOrder[], minute: number, bars: ReadonlyMap<string, Bar>, options: SimExecutionOptions): SimDecision[] {
  const calendar = options.calendar ?? embeddedCalendar;
  const closes = new Map<string, number>();
  const sessionClose = (at: number): number => {
    const day = newYorkDate(at);
    let close = closes.get(day);
    if (close === undefined) {
      close = calendar.sessionFor(day)?.close ?? at;
      closes.set(day, close);
    }
    return close;
  };
  const held = orders
    .filter((order) => HELD.has(order.status) && order.intent.minute < minute)
    .sort((a, b) => a.intent.minute - b.intent.minute || (a.intent.teamId < b.intent.teamId ? -1 : a.intent.teamId > b.intent.teamId ? 1 : 0) || a.intent.seq - b.intent.seq);
  const decisions: SimDecision[] = [];
  for (const order of held) {
    const { intent } = order;
    const close = sessionClose(intent.minute);
    if (minute >= close) {
      decisions.push({ kind: 'end', state: ended(order, 'expired', 'day order expired at the session close', close) });
      continue;
    }
    const bar = bars.get(intent.symbol);
    if (bar === undefined || bar.timestamp <= intent.minute || bar.volume === 0) continue;
    const price = fillPrice(intent, bar, options.slippageBps);
    if (price === null) continue;
    if (intent.side === 'buy' && intent.limitPrice === null) {
      const ceiling = marketBuyCeiling(intent.referencePrice, options.marketBuyCollarBps);
      if (price > ceiling) {
        const reason = `market buy would fill at ${formatDollars(price)}, above the price collar ${formatDollars(ceiling)} (${formatDollars(intent.referencePrice)} + ${String(options.marketBuyCollarBps / 100)}%)`;
        decisions.push({ kind: 'end', state: ended(order, 'canceled', reason, bar.timestamp) });
        continue;
      }
    }
    decisions.push({
      kind: 'fill',
      fill: {
        executionId: simExecutionId(intent.clientOrderId),
        clientOrderId: intent.clientOrderId,
        brokerOrderId: simBrokerOrderId(intent.clientOrderId),
        symbol: intent.symbol,
        side: intent.side,
        quantity: intent.quantity - order.filledQuantity,
        price,
        at: bar.timestamp,
      },
    });
  }
  return decisions;
}
