/**
 * The simulated execution venue: one `Broker` for backtests, the live simulated competition and replays.
 * It keeps nothing of its own: the orders it holds are the book store's accepted orders (Postgres ledger
 * live, memory in a backtest), its account is the sum of the team books, and its executions come from the
 * one fill model (`fillModel.ts`) with deterministic ids. So any worker can act as the venue for a minute,
 * and one killed in the middle of a minute leaves nothing the next attempt cannot reconstruct.
 *
 * `submit` is idempotent like every Broker: acceptance is a pure function of the intent, so the same id
 * gives the same acceptance, which the books record once. It refuses what a broker refuses (unknown
 * symbol, bad quantity, bad limit); cash and shares are the books' reservations, made before submission.
 */
import type { Bar } from '../../../../data/market/bar.ts';
import type { AppliedFillResult, Ledger, RecordedBrokerState } from '../../../ledger/ledger.ts';
import type { StoredOrder } from '../../../ledger/orders.ts';
import { BrokerError, type Broker, type BrokerAccount, type BrokerOrderState, type BrokerPosition, type Fill, type OrderIntent } from '../../types.ts';
import { BrokerSubscribers } from '../subscribers.ts';
import { simBrokerOrderId, simulateMinute, type FillModelOptions } from './fillModel.ts';
import { brokerStateOf } from '../../orders/brokerState.ts';
import { byCodeUnits } from '../../../codeUnitOrder.ts';

/** What the venue needs of a book store: the ledger, or the backtest's books in memory. */
export type SimVenueBooks = Pick<Ledger, 'getOrder' | 'openOrders' | 'loadBooks' | 'applyFills' | 'recordBrokerState' | 'recordBrokerStates'>;

export interface SimVenueOptions extends FillModelOptions {
  books: SimVenueBooks;
  /** Whether the venue knows a symbol (the competition's universe, which a registry reload may change). */
  knows: (symbol: string) => boolean;
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

/** The venue's answer to a submission: accepted, or a BrokerError like Alpaca's 422. */
export function acceptOrder(intent: OrderIntent, knows: (symbol: string) => boolean): BrokerOrderState {
  if (!Number.isInteger(intent.quantity) || intent.quantity <= 0) {
    throw new BrokerError('rejected', `qty must be a positive whole number of shares, got ${String(intent.quantity)}`, 422);
  }
  if (!knows(intent.symbol)) throw new BrokerError('rejected', `asset "${intent.symbol}" not found`, 422);
  if (intent.type === 'limit' && (intent.limitPrice === null || intent.limitPrice <= 0)) {
    throw new BrokerError('rejected', 'a limit order needs a positive limit price', 422);
  }
  return brokerStateOf(intent, {
    brokerOrderId: simBrokerOrderId(intent.clientOrderId),
    status: 'accepted',
    filledQuantity: 0,
    filledAvgPrice: null,
    reason: null,
    updatedAt: intent.minute,
  });
}

export class SimVenue implements Broker {
  readonly name = 'sim';
  readonly #books: SimVenueBooks;
  readonly #knows: (symbol: string) => boolean;
  readonly #model: FillModelOptions;
  readonly #subscribers = new BrokerSubscribers();

  constructor(options: SimVenueOptions) {
    this.#books = options.books;
    this.#knows = options.knows;
    this.#model = {
      slippageBps: options.slippageBps,
      marketBuyCollarBps: options.marketBuyCollarBps,
      ...(options.calendar === undefined ? {} : { calendar: options.calendar }),
      ...(options.netted === true ? { netted: true } : {}),
    };
  }

  /** The fill model's settings (recorded with each minute, so a replay fills as this venue did). */
  get model(): Readonly<FillModelOptions> {
    return this.#model;
  }

  submit(intent: OrderIntent): Promise<BrokerOrderState> {
    try {
      const state = acceptOrder(intent, this.#knows);
      this.#subscribers.emitUpdate(state);
      return Promise.resolve(state);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** The venue holds an order once it accepted it; an intent still pending submission is unknown to it. */
  async getOrder(clientOrderId: string): Promise<BrokerOrderState | null> {
    const order = await this.#books.getOrder(clientOrderId);
    return order === null || order.status === 'pending_submit' ? null : stateOf(order);
  }

  async cancel(clientOrderId: string): Promise<void> {
    const order = await this.#books.getOrder(clientOrderId);
    if (order === null || order.status === 'pending_submit') throw new BrokerError('not_found', `order ${clientOrderId} not found`, 404);
    if (order.status !== 'accepted' && order.status !== 'partially_filled') return;
    const state: BrokerOrderState = { ...stateOf(order), status: 'canceled', reason: 'canceled on request', updatedAt: Date.now() };
    await this.#books.recordBrokerState(state);
    this.#subscribers.emitUpdate(state);
  }

  async openOrders(): Promise<BrokerOrderState[]> {
    const open = await this.#books.openOrders();
    return open.filter((order) => order.status !== 'pending_submit').map(stateOf);
  }

  /** The shared account's positions: the sum of the team books. */
  async positions(): Promise<BrokerPosition[]> {
    const totals = new Map<string, { quantity: number; cost: number }>();
    for (const book of await this.#books.loadBooks()) {
      for (const [symbol, position] of Object.entries(book.positions)) {
        const total = totals.get(symbol) ?? { quantity: 0, cost: 0 };
        total.quantity += position.quantity;
        total.cost += position.costBasis;
        totals.set(symbol, total);
      }
    }
    return [...totals]
      .filter(([, total]) => total.quantity > 0)
      .sort(([a], [b]) => byCodeUnits(a, b))
      .map(([symbol, total]) => ({ symbol, quantity: total.quantity, avgEntryPrice: Math.round(total.cost / total.quantity) }));
  }

  /** Cash and reservations summed over the books; positions at cost (the venue keeps no prices). */
  async account(): Promise<BrokerAccount> {
    let cash = 0;
    let reserved = 0;
    let cost = 0;
    for (const book of await this.#books.loadBooks()) {
      cash += book.cash;
      reserved += book.reservedCash;
      for (const position of Object.values(book.positions)) cost += position.costBasis;
    }
    return { cash, equity: cash + cost, buyingPower: cash - reserved };
  }

  /**
   * The minute's bars reach the venue: orders it holds from earlier minutes fill, are canceled by the
   * collar, or expire at their session's close. The fills go to the books in one batch (each applied once
   * by its execution id) and the order ends in another; an order has at most one outcome per minute, so
   * the two batches never touch the same order.
   */
  async advance(minute: number, bars: ReadonlyMap<string, Bar>): Promise<SimMinuteResult> {
    const decisions = simulateMinute(await this.#books.openOrders(), minute, bars, this.#model);
    if (decisions.length === 0) return { fills: [], ended: [] };
    const fills = decisions.flatMap((decision) => (decision.kind === 'fill' ? [decision.fill] : []));
    const ends = decisions.flatMap((decision) => (decision.kind === 'end' ? [decision.state] : []));
    const [applied, recorded] = await Promise.all([fills.length === 0 ? [] : this.#books.applyFills(fills), ends.length === 0 ? [] : this.#books.recordBrokerStates(ends)]);
    const result: SimMinuteResult = {
      fills: fills.map((fill, index) => ({ fill, result: applied[index]! })),
      ended: ends.map((state, index) => ({ state, result: recorded[index]! })),
    };
    for (const { fill, result: outcome } of result.fills) if (outcome.outcome === 'applied') this.#subscribers.emitFill(fill);
    for (const { state } of result.ended) this.#subscribers.emitUpdate(state);
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
}
