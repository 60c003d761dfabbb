/**
 * The simulated market's one fill model, a pure function of the open orders and one minute's bars.
 * Backtests, the live simulated competition and replays all fill through it (via `SimVenue`), so their
 * fills cannot drift apart.
 *
 * Rules (no look-ahead):
 * - An order decided on minute M only fills on a bar whose timestamp is after M, never at a price the
 *   strategy could have seen; a missing or zero-volume bar (nothing traded) leaves it open.
 * - Market orders fill in full at that bar's open moved against them by the slippage, rounded against
 *   them onto the Money grid (buys up, sells down).
 * - Limit orders fill in full when the bar trades through the limit, at the better of open and limit.
 * - A market buy that would fill above its reference price × (1 + collar) is canceled instead: the cash
 *   validation held back for it is then never exceeded.
 * - Expiry: every order is a day order; still open at its session's close, it expires at the close.
 * - Orders are processed in submission order (minute, team, sequence), so the same inputs always give
 *   the same fills.
 *
 * Execution ids derive from the order (`sim-<client order id>-1`; orders fill whole), so a crashed worker
 * and the one redoing its minute produce the same executions, which the books apply once.
 */
import type { Bar } from '../../../../data/market/bar.ts';
import { embeddedCalendar, newYorkDate, type MarketCalendar } from '../../../../data/market/calendar.ts';
import { toMoney, type Money } from '../../money.ts';
import { formatDollars } from '../../orders/formatMoney.ts';
import { marketBuyCeiling } from '../../orders/validate.ts';
import type { BrokerOrderState, Fill, OrderIntent, OrderStatus } from '../../types.ts';
import { brokerStateOf } from '../../orders/brokerState.ts';

/**
 * A market buy never fills more than this above the price it was decided at (plus the slippage): beyond
 * it the venue cancels it, so a buy can never cost more than the cash validation checked for it.
 */
export const MARKET_BUY_COLLAR_BPS = 500;

/** An order as the venue's books hold it. */
export interface SimOpenOrder {
  intent: OrderIntent;
  status: OrderStatus;
  filledQuantity: number;
}

export interface FillModelOptions {
  /** Adverse move of market fills, basis points. */
  slippageBps: number;
  /** Market buys never fill above reference price × (1 + collar). */
  marketBuyCollarBps: number;
  calendar?: MarketCalendar;
  /**
   * Netted execution (registry `competition.execution: netted`): the market orders of one (minute, symbol)
   * fill at one price, the bar's open moved by the slippage against the side of the net (buys − sells),
   * or the plain open when the net is zero, as the live netted venue allocates one price per group.
   */
  netted?: boolean;
}

export type SimDecision = { kind: 'fill'; fill: Fill } | { kind: 'end'; state: BrokerOrderState };

export const simBrokerOrderId = (clientOrderId: string): string => `sim-${clientOrderId}`;
export const simExecutionId = (clientOrderId: string): string => `sim-${clientOrderId}-1`;

/** Collar of the simulated market for a given slippage: the same for validation's cash buffer and the venue. */
export const marketBuyCollarBps = (slippageBps: number): number => MARKET_BUY_COLLAR_BPS + slippageBps;

/** The bar's open moved against the order by `slippageBps`, rounded against it onto the Money grid. */
export function slippedMarketPrice(open: number, side: 'buy' | 'sell', slippageBps: number): Money {
  const base = toMoney(open);
  if (side === 'buy') return Math.ceil((base * (10_000 + slippageBps)) / 10_000);
  return Math.floor((base * (10_000 - slippageBps)) / 10_000);
}

function fillPrice(intent: OrderIntent, bar: Bar, slippageBps: number, groupPrice?: Money): Money | null {
  if (intent.limitPrice === null) return groupPrice ?? slippedMarketPrice(bar.open, intent.side, slippageBps);
  const open = toMoney(bar.open);
  if (intent.side === 'buy') return toMoney(bar.low) <= intent.limitPrice ? Math.min(open, intent.limitPrice) : null;
  return toMoney(bar.high) >= intent.limitPrice ? Math.max(open, intent.limitPrice) : null;
}

function ended(order: SimOpenOrder, status: 'canceled' | 'expired', reason: string, at: number): BrokerOrderState {
  const { intent } = order;
  return brokerStateOf(intent, {
    brokerOrderId: simBrokerOrderId(intent.clientOrderId),
    status,
    filledQuantity: order.filledQuantity,
    filledAvgPrice: null,
    reason,
    updatedAt: at,
  });
}

const HOUR_MS = 3_600_000;
const closesByCalendar = new WeakMap<MarketCalendar, Map<number, number | null>>();

/**
 * The close of the session of a minute (the minute itself on a day without one). New York's UTC offset is
 * a whole number of hours, so it is looked up once per UTC hour: the date lookup is the costly part.
 */
function sessionCloseOf(minute: number, calendar: MarketCalendar): number {
  let closes = closesByCalendar.get(calendar);
  if (closes === undefined || closes.size > 10_000) closesByCalendar.set(calendar, (closes = new Map<number, number | null>()));
  const hour = Math.floor(minute / HOUR_MS);
  let close = closes.get(hour);
  if (close === undefined) {
    close = calendar.sessionFor(newYorkDate(minute))?.close ?? null;
    closes.set(hour, close);
  }
  return close ?? minute;
}

const HELD: ReadonlySet<OrderStatus> = new Set(['accepted', 'partially_filled']);

const bySubmission = (a: SimOpenOrder, b: SimOpenOrder): number =>
  a.intent.minute - b.intent.minute || (a.intent.teamId < b.intent.teamId ? -1 : a.intent.teamId > b.intent.teamId ? 1 : 0) || a.intent.seq - b.intent.seq;

/** Netted: one market price per (decision minute, symbol), from the side of the group's net. */
function nettedPrices(held: readonly SimOpenOrder[], bars: ReadonlyMap<string, Bar>, slippageBps: number): Map<string, Money> {
  const nets = new Map<string, { symbol: string; net: number }>();
  for (const { intent, filledQuantity } of held) {
    if (intent.limitPrice !== null) continue;
    const key = `${String(intent.minute)}|${intent.symbol}`;
    const group = nets.get(key) ?? { symbol: intent.symbol, net: 0 };
    group.net += (intent.side === 'buy' ? 1 : -1) * (intent.quantity - filledQuantity);
    nets.set(key, group);
  }
  const prices = new Map<string, Money>();
  for (const [key, { symbol, net }] of nets) {
    const bar = bars.get(symbol);
    if (bar === undefined) continue;
    prices.set(key, net === 0 ? toMoney(bar.open) : slippedMarketPrice(bar.open, net > 0 ? 'buy' : 'sell', slippageBps));
  }
  return prices;
}

/**
 * The executions and order ends the bars of `minute` cause, in submission order. Orders the venue does
 * not hold (pending submission, ended) and orders of this minute or later are left alone.
 */
export function simulateMinute(orders: readonly SimOpenOrder[], minute: number, bars: ReadonlyMap<string, Bar>, options: FillModelOptions): SimDecision[] {
  const held = orders.filter((order) => HELD.has(order.status) && order.intent.minute < minute);
  if (held.length === 0) return [];
  const calendar = options.calendar ?? embeddedCalendar;
  const groupPrices = options.netted === true ? nettedPrices(held, bars, options.slippageBps) : undefined;
  const decisions: SimDecision[] = [];
  for (const order of held.sort(bySubmission)) {
    const { intent } = order;
    const close = sessionCloseOf(intent.minute, calendar);
    if (minute >= close) {
      decisions.push({ kind: 'end', state: ended(order, 'expired', 'day order expired at the session close', close) });
      continue;
    }
    const bar = bars.get(intent.symbol);
    if (bar === undefined || bar.timestamp <= intent.minute || bar.volume === 0) continue;
    const price = fillPrice(intent, bar, options.slippageBps, groupPrices?.get(`${String(intent.minute)}|${intent.symbol}`));
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
