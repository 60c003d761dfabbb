import type { BrokerOrderState, OrderIntent } from '../types.ts';

/** What a venue says of an order, beside the intent's own fields. */
export type VenueView = Pick<BrokerOrderState, 'brokerOrderId' | 'status' | 'filledQuantity' | 'filledAvgPrice' | 'reason' | 'updatedAt'>;

/**
 * The broker state of `intent` as `venue` sees it. Fields in one fixed order: states are stored and
 * compared as JSON (replay, golden backtest output), so every venue builds them alike.
 */
export function brokerStateOf(intent: OrderIntent, venue: VenueView): BrokerOrderState {
  return {
    clientOrderId: intent.clientOrderId,
    brokerOrderId: venue.brokerOrderId,
    symbol: intent.symbol,
    side: intent.side,
    quantity: intent.quantity,
    status: venue.status,
    filledQuantity: venue.filledQuantity,
    filledAvgPrice: venue.filledAvgPrice,
    reason: venue.reason,
    updatedAt: venue.updatedAt,
  };
}
