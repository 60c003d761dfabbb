/**
 * Pure translation between Alpaca's order vocabulary and ours. No I/O: the broker feeds it SDK
 * models (REST answers and stream frames) and FILL activities parsed at the edge.
 */
import type { trading } from '@alpacahq/alpaca-trade-api';
import { z } from 'zod';
import type { BrokerOrderState, Fill, OrderStatus, Side } from '../../types.ts';
import { alpacaDecimalToMoney, alpacaWholeQuantity } from './alpacaDecimal.ts';

type AlpacaOrder = trading.Order;

/**
 * Alpaca has 17 order statuses; ours are the 7 the books care about. Statuses that mean "still
 * working" become accepted / partially_filled by the filled quantity.
 */
export function mapOrderStatus(alpacaStatus: string | undefined, quantity: number, filledQuantity: number): OrderStatus {
  switch (alpacaStatus) {
    case 'filled':
      return 'filled';
    case 'canceled':
    case 'replaced':
      return 'canceled';
    case 'expired':
      return 'expired';
    case 'rejected':
      return 'rejected';
    case 'calculated':
    case 'done_for_day':
      // Done trading for the day: what is filled is final.
      return filledQuantity >= quantity && quantity > 0 ? 'filled' : filledQuantity > 0 ? 'partially_filled' : 'accepted';
    default:
      return filledQuantity > 0 ? 'partially_filled' : 'accepted';
  }
}

function reasonFor(status: string | undefined): string | null {
  switch (status) {
    case 'rejected':
      return 'rejected by Alpaca';
    case 'canceled':
      return 'canceled at Alpaca';
    case 'replaced':
      return 'replaced at Alpaca by another order';
    case 'expired':
      return 'expired at Alpaca (day order not filled by the close)';
    default:
      return null;
  }
}

function side(value: string | undefined, what: string): Side {
  if (value === 'buy' || value === 'sell') return value;
  throw new RangeError(`Alpaca sent ${what} side ${JSON.stringify(value)}`);
}

export function orderStateFromAlpaca(order: AlpacaOrder): BrokerOrderState {
  const quantity = alpacaWholeQuantity(order.qty ?? '0', 'order qty');
  const filledQuantity = alpacaWholeQuantity(order.filledQty ?? '0', 'order filled_qty');
  const updated = order.updatedAt ?? order.submittedAt ?? order.createdAt;
  return {
    clientOrderId: order.clientOrderId ?? '',
    brokerOrderId: order.id ?? null,
    symbol: order.symbol ?? '',
    side: side(order.side, `order ${order.id ?? '?'}`),
    quantity,
    status: mapOrderStatus(order.status, quantity, filledQuantity),
    filledQuantity,
    filledAvgPrice: order.filledAvgPrice == null || order.filledAvgPrice === '' ? null : alpacaDecimalToMoney(order.filledAvgPrice),
    reason: reasonFor(order.status),
    updatedAt: updated instanceof Date && !Number.isNaN(updated.getTime()) ? updated.getTime() : Date.now(),
  };
}

/**
 * One execution, whichever way we learned of it. Its identity is (order, cumulative filled quantity
 * after it): the stream gives it as the order's `filled_qty` on a fill event, a FILL activity as
 * `cum_qty`, so a fill seen on the stream and the same fill recovered from activities after a
 * disconnect carry the same `executionId`, and the ledger's exactly-once key holds across sources
 * and restarts. (Alpaca's stream `execution_id` and an activity `id` are not documented to match.)
 */
export interface Execution {
  orderId: string;
  clientOrderId: string;
  symbol: string;
  side: Side;
  quantity: number;
  cumulativeQuantity: number;
  price: number;
  at: number;
}

export function executionId(orderId: string, cumulativeQuantity: number): string {
  return `${orderId}:${String(cumulativeQuantity)}`;
}

export function fillFromExecution(execution: Execution): Fill {
  return {
    executionId: executionId(execution.orderId, execution.cumulativeQuantity),
    clientOrderId: execution.clientOrderId,
    brokerOrderId: execution.orderId,
    symbol: execution.symbol,
    side: execution.side,
    quantity: execution.quantity,
    price: execution.price,
    at: execution.at,
  };
}

/** The execution a `fill` / `partial_fill` trade update reports, or null for other events. */
export function executionFromTradeUpdate(update: { event: string; order: AlpacaOrder; qty?: string; price?: string; timestamp?: Date }): Execution | null {
  if (update.event !== 'fill' && update.event !== 'partial_fill') return null;
  const order = update.order;
  if (order.id === undefined || update.qty === undefined || update.price === undefined) {
    throw new RangeError(`Alpaca sent a ${update.event} update without order id, qty or price`);
  }
  return {
    orderId: order.id,
    clientOrderId: order.clientOrderId ?? '',
    symbol: order.symbol ?? '',
    side: side(order.side, `order ${order.id}`),
    quantity: alpacaWholeQuantity(update.qty, 'fill qty'),
    cumulativeQuantity: alpacaWholeQuantity(order.filledQty ?? '0', 'order filled_qty'),
    price: alpacaDecimalToMoney(update.price),
    at: update.timestamp instanceof Date && !Number.isNaN(update.timestamp.getTime()) ? update.timestamp.getTime() : Date.now(),
  };
}

/** A FILL activity as Alpaca sends it (read from the raw JSON: the SDK v4 decodes it as a non-trade activity and drops these fields). */
export const FillActivitySchema = z.object({
  id: z.string().min(1),
  activity_type: z.literal('FILL'),
  order_id: z.string().min(1),
  symbol: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  qty: z.string(),
  cum_qty: z.string(),
  price: z.string(),
  transaction_time: z.string(),
});
export type FillActivity = z.infer<typeof FillActivitySchema>;

export function executionFromActivity(activity: FillActivity, clientOrderId: string): Execution {
  const at = Date.parse(activity.transaction_time);
  return {
    orderId: activity.order_id,
    clientOrderId,
    symbol: activity.symbol,
    side: activity.side,
    quantity: alpacaWholeQuantity(activity.qty, 'activity qty'),
    cumulativeQuantity: alpacaWholeQuantity(activity.cum_qty, 'activity cum_qty'),
    price: alpacaDecimalToMoney(activity.price),
    at: Number.isNaN(at) ? Date.now() : at,
  };
}
