/**
 * The trading core's shared vocabulary: what orders, fills and brokers look like everywhere
 * (live server, backtest, persistence, Alpaca adapter). Pure data; no I/O here.
 */
import type { Money } from './money.ts';

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit';

/** A strategy's signal after validation and risk: what we intend to send, durable before it is sent. */
export interface OrderIntent {
  /** Deterministic from team, minute and sequence: `t-<team>-<yyyyMMddHHmm>-<n>` (see clientOrderId.ts). */
  clientOrderId: string;
  teamId: string;
  /** Epoch ms of the minute whose bars produced the signal. */
  minute: number;
  /** 1-based position of the signal within the team's minute. */
  seq: number;
  symbol: string;
  side: Side;
  /** Whole shares, > 0. */
  quantity: number;
  type: OrderType;
  /** Limit price for limit orders, null for market orders. */
  limitPrice: Money | null;
  /** The price the decision was made at (the minute's close); used for the price band and cash reservation. */
  referencePrice: Money;
  reason: string | null;
}

export type OrderStatus =
  | 'pending_submit' // durable intent, not yet acknowledged by the broker
  | 'accepted'
  | 'partially_filled'
  | 'filled'
  | 'canceled'
  | 'expired'
  | 'rejected';

export const TERMINAL_ORDER_STATUSES: ReadonlySet<OrderStatus> = new Set(['filled', 'canceled', 'expired', 'rejected']);

/** What a broker says about one of our orders. */
export interface BrokerOrderState {
  clientOrderId: string;
  brokerOrderId: string | null;
  symbol: string;
  side: Side;
  quantity: number;
  status: OrderStatus;
  filledQuantity: number;
  /** Volume-weighted fill price so far, null before the first fill. */
  filledAvgPrice: Money | null;
  /** Why the broker refused or dropped it (status 'rejected' / 'canceled' / 'expired'). */
  reason: string | null;
  /** Epoch ms of this state at the broker. */
  updatedAt: number;
}

/** One execution. Applied to the books exactly once, keyed by `executionId`. */
export interface Fill {
  /** Unique per execution at the broker (Alpaca's trade-update `execution_id`; the sim broker's own). */
  executionId: string;
  clientOrderId: string;
  brokerOrderId: string | null;
  symbol: string;
  side: Side;
  /** Shares in this execution (not cumulative). */
  quantity: number;
  price: Money;
  /** Epoch ms of the execution. */
  at: number;
}

export interface BrokerPosition {
  symbol: string;
  /** Signed whole shares held by the shared account. */
  quantity: number;
  avgEntryPrice: Money;
}

export interface BrokerAccount {
  cash: Money;
  equity: Money;
  buyingPower: Money;
}

/** Errors every broker maps its own failures onto, so callers handle one vocabulary. */
export type BrokerErrorKind =
  | 'duplicate_client_order_id' // the id was used before: look the order up instead of resubmitting
  | 'rejected' // the broker refused this order (reason in message): do not retry
  | 'insufficient_buying_power'
  | 'wash_trade' // opposite side of an open order on the same symbol in the shared account
  | 'rate_limited' // retry later
  | 'unavailable' // 5xx, timeouts, network: retry with back-off; the order may or may not exist
  | 'not_found'
  | 'unauthorized';

export class BrokerError extends Error {
  override name = 'BrokerError';
  readonly kind: BrokerErrorKind;
  /** HTTP status when the broker answered. */
  readonly status: number | null;
  constructor(kind: BrokerErrorKind, message: string, status: number | null = null, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
    this.status = status;
  }
}

/**
 * One interface for the simulated broker and Alpaca. `submit` is idempotent by clientOrderId:
 * submitting an id the broker already has returns that order's state (never a second order).
 */
export interface Broker {
  readonly name: string;
  submit(intent: OrderIntent): Promise<BrokerOrderState>;
  getOrder(clientOrderId: string): Promise<BrokerOrderState | null>;
  cancel(clientOrderId: string): Promise<void>;
  /** Orders the broker still holds open (after a reconnect: the catch-up list). */
  openOrders(): Promise<BrokerOrderState[]>;
  positions(): Promise<BrokerPosition[]>;
  account(): Promise<BrokerAccount>;
  /** Executions as they happen. Returns the unsubscribe function. */
  onFill(listener: (fill: Fill) => void): () => void;
  /** Order state changes (accepted, canceled, rejected, …) as they happen. */
  onOrderUpdate(listener: (state: BrokerOrderState) => void): () => void;
  close(): Promise<void>;
}

/** A team's books as the portfolio module keeps them (pure data; persisted by data/postgres). */
export interface PositionBook {
  quantity: number;
  /** Total cost of the shares held (exact); avg cost = costBasis / quantity. */
  costBasis: Money;
  realizedPnl: Money;
}

export interface TeamBook {
  teamId: string;
  cash: Money;
  /** Cash promised to open buy orders (quantity × reference price, released on fill/cancel). */
  reservedCash: Money;
  positions: Record<string, PositionBook>;
  realizedPnl: Money;
  /**
   * Shares promised to open sell orders, per symbol (added by the portfolio module): a sell may only
   * use `positions[symbol].quantity − pendingSell[symbol]`, so two open sells cannot sell one share twice.
   */
  pendingSell: Record<string, number>;
}
