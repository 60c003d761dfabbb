/**
 * The simulated broker of the live competition. It keeps nothing in memory: the orders it holds are the
 * ledger's orders it has accepted, its account is the sum of the team books, and its executions are
 * computed from the open orders and the minute's bars (`simFills.ts`) with deterministic ids. So any
 * worker can act as the broker for a minute, and a worker killed in the middle of one leaves nothing
 * behind that the next attempt cannot reconstruct.
 *
 * `submit` is idempotent by client order id like every Broker (the same id is the same acceptance); the
 * broker refuses what a broker refuses (unknown
 * symbol, bad quantity, bad limit). Buying power and shares are the ledger's reservations.
 */
import type { Bar } from '../../data/market/bar.ts';
import type { MarketCalendar } from '../../data/market/calendar.ts';
import type { AppliedFillResult, Ledger, RecordedBrokerState } from '../../data/postgres/ledger/ledger.ts';
import type { StoredOrder } from '../../data/postgres/ledger/orders.ts';
import { BrokerError, type Broker, type BrokerAccount, type BrokerOrderState, type BrokerPosition, type Fill, type OrderIntent } from '../trading/types.ts';
import { simBrokerOrderId, simulateMinute, type SimExecutionOptions } from './simFills.ts';
import { BrokerSubscribers } from '../trading/brokers/subscribers.ts';

export type SimBrokerLedger = Pick<Ledger, 'getOrder' | 'openOrders' | 'loadBooks' | 'applyFills' | 'recordBrokerState' | 'recordBrokerStates'>;

export interface LedgerSimBrokerOptions extends SimExecutionOptions {
  ledger: SimBrokerLedger;
  /** Whether the broker knows a symbol (the competition's universe, which a registry reload may change). */
  knows: (symbol: string) => boolean;
  calendar?: MarketCalendar;
}

export interface SimMinuteResult {
  fills: Array<{ fill: Fill; result: AppliedFillResult }>;
  ended: Array<{ state: BrokerOrderState; result: RecordedBrokerState }>;
}

function stateOf(order: StoredOrder): BrokerOrderState {
  return {
    clientOrderId: order.intent.clientOrderId,
    brokerOrderId: order.brokerOrderId ?? simBrokerOrderId(order.intent.clientOrderId),
    symbol: order.intent.symbol,
    side: order.intent.side,
    quantity: order.intent.quantity,
    status: order.status,
    filledQuantity: order.filledQuantity,
    filledAvgPrice: order.filledAvgPrice,
    reason: order.brokerReason,
    updatedAt: order.updatedAt,
  };
}

export class LedgerSimBroker implements Broker {
  readonly name = 'sim';
  readonly #ledger: SimBrokerLedger;
  readonly #knows: (symbol: string) => boolean;
  readonly #execution: SimExecutionOptions;
  readonly #subscribers = new BrokerSubscribers();

  constructor(options: LedgerSimBrokerOptions) {
    this.#ledger = options.ledger;
    this.#knows = options.knows;
    this.#execution = {
      slippageBps: options.slippageBps,
      marketBuyCollarBps: options.marketBuyCollarBps,
      ...(options.calendar === undefined ? {} : { calendar: options.calendar }),
    };
  }

  /**
   * Accepting is a pure function of the intent (the broker order id derives from the client order id), so
   * submitting again returns the same acceptance, which the ledger records once (its states only move
   * forward): no lookup is needed to be idempotent.
   */
  submit(intent: OrderIntent): Promise<BrokerOrderState> {
    try {
      return Promise.resolve(this.#accept(intent));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #accept(intent: OrderIntent): BrokerOrderState {
    if (!Number.isInteger(intent.quantity) || intent.quantity <= 0) {
      throw new BrokerError('rejected', `qty must be a positive whole number of shares, got ${String(intent.quantity)}`, 422);
    }
    if (!this.#knows(intent.symbol)) throw new BrokerError('rejected', `asset "${intent.symbol}" not found`, 422);
    if (intent.type === 'limit' && (intent.limitPrice === null || intent.limitPrice <= 0)) {
      throw new BrokerError('rejected', 'a limit order needs a positive limit price', 422);
    }
    const state: BrokerOrderState = {
      clientOrderId: intent.clientOrderId,
      brokerOrderId: simBrokerOrderId(intent.clientOrderId),
      symbol: intent.symbol,
      side: intent.side,
      quantity: intent.quantity,
      status: 'accepted',
      filledQuantity: 0,
      filledAvgPrice: null,
      reason: null,
      updatedAt: intent.minute,
    };
    this.#emitUpdate(state);
    return state;
  }

  /** The broker holds an order once it accepted it; an intent still pending submission is unknown to it. */
  async getOrder(clientOrderId: string): Promise<BrokerOrderState | null> {
    const order = await this.#ledger.getOrder(clientOrderId);
    return order === null || order.status === 'pending_submit' ? null : stateOf(order);
  }

  async cancel(clientOrderId: string): Promise<void> {
    const order = await this.#ledger.getOrder(clientOrderId);
    if (order === null || order.status === 'pending_submit') throw new BrokerError('not_found', `order ${clientOrderId} not found`, 404);
    if (order.status !== 'accepted' && order.status !== 'partially_filled') return;
    const state: BrokerOrderState = { ...stateOf(order), status: 'canceled', reason: 'canceled on request', updatedAt: Date.now() };
    await this.#ledger.recordBrokerState(state);
    this.#emitUpdate(state);
  }

  async openOrders(): Promise<BrokerOrderState[]> {
    const open = await this.#ledger.openOrders();
    return open.filter((order) => order.status !== 'pending_submit').map(stateOf);
  }

  /** The shared account's positions: the sum of the team books. */
  async positions(): Promise<BrokerPosition[]> {
    const totals = new Map<string, { quantity: number; cost: number }>();
    for (const book of await this.#ledger.loadBooks()) {
      for (const [symbol, position] of Object.entries(book.positions)) {
        const total = totals.get(symbol) ?? { quantity: 0, cost: 0 };
        total.quantity += position.quantity;
        total.cost += position.costBasis;
        totals.set(symbol, total);
      }
    }
    return [...totals]
      .filter(([, total]) => total.quantity > 0)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([symbol, total]) => ({ symbol, quantity: total.quantity, avgEntryPrice: Math.round(total.cost / total.quantity) }));
  }

  /** Cash and reservations summed over the books; positions at cost (the broker keeps no prices). */
  async account(): Promise<BrokerAccount> {
    let cash = 0;
    let reserved = 0;
    let cost = 0;
    for (const book of await this.#ledger.loadBooks()) {
      cash += book.cash;
      reserved += book.reservedCash;
      for (const position of Object.values(book.positions)) cost += position.costBasis;
    }
    return { cash, equity: cash + cost, buyingPower: cash - reserved };
  }

  /**
   * The minute's bars reach the broker: orders it holds from earlier minutes fill, are canceled by the
   * collar, or expire at their session's close. The minute's fills go to the ledger in one batch (each
   * applied once by its execution id) and its order ends in another; an order has at most one outcome
   * per minute, so the two batches never touch the same order.
   */
  async advance(minute: number, bars: ReadonlyMap<string, Bar>): Promise<SimMinuteResult> {
    const open = await this.#ledger.openOrders();
    const decisions = simulateMinute(open, minute, bars, this.#execution);
    const fills = decisions.flatMap((decision) => (decision.kind === 'fill' ? [decision.fill] : []));
    const ends = decisions.flatMap((decision) => (decision.kind === 'end' ? [decision.state] : []));
    const [applied, recorded] = await Promise.all([this.#ledger.applyFills(fills), this.#ledger.recordBrokerStates(ends)]);
    const result: SimMinuteResult = {
      fills: fills.map((fill, index) => ({ fill, result: applied[index]! })),
      ended: ends.map((state, index) => ({ state, result: recorded[index]! })),
    };
    for (const { fill, result: outcome } of result.fills) if (outcome.outcome === 'applied') this.#emitFill(fill);
    for (const { state } of result.ended) this.#emitUpdate(state);
    return result;
  }

  onFill(listener: (fill: Fill) => void): () => void {
    return this.#subscribers.onFill(listener);
  }

  onOrderUpdate(listener: (state: BrokerOrderState) => void): () => void {
    return this.#subscribers.onOrderUpdate(listener);
  }

  close(): Promise<void> {
    this.#subscribers.clear();
    return Promise.resolve();
  }

  #emitFill(fill: Fill): void {
    this.#subscribers.emitFill(fill);
  }

  #emitUpdate(state: BrokerOrderState): void {
    this.#subscribers.emitUpdate(state);
  }
}
