/**
 * A small in-memory broker for the router tests: behaves like Alpaca where it matters here (a reused
 * client order id is refused with `duplicate_client_order_id`; fills and order updates are pushed to
 * listeners) and lets a test inject failures and inspect what it was asked.
 */
import {
  BrokerError,
  type Broker,
  type BrokerAccount,
  type BrokerErrorKind,
  type BrokerOrderState,
  type BrokerPosition,
  type Fill,
  type OrderIntent,
} from '../../../server/trading/types.ts';

interface Injected {
  kind: BrokerErrorKind;
  message: string;
  /** true: the broker creates the order and then fails the response (a timeout after the fact). */
  afterCreating: boolean;
}

export class MemoryBroker implements Broker {
  readonly name = 'memory';
  readonly orders = new Map<string, BrokerOrderState>();
  readonly calls: string[] = [];
  /** What `positions()` reports (the shared account's holdings). */
  heldPositions: BrokerPosition[] = [];
  /** Runs at the start of every submit (e.g. to check the intent is already durable). */
  beforeSubmit: ((intent: OrderIntent) => Promise<void>) | null = null;
  #failures: Injected[] = [];
  #fillListeners = new Set<(fill: Fill) => void>();
  #updateListeners = new Set<(state: BrokerOrderState) => void>();
  #executions = 0;
  #clock = Date.UTC(2025, 0, 2, 14, 32);

  failNextSubmit(kind: BrokerErrorKind, message: string, afterCreating = false): void {
    this.#failures.push({ kind, message, afterCreating });
  }

  async submit(intent: OrderIntent): Promise<BrokerOrderState> {
    this.calls.push(`submit ${intent.clientOrderId}`);
    if (this.beforeSubmit) await this.beforeSubmit(intent);
    const failure = this.#failures.shift();
    if (failure && !failure.afterCreating) throw new BrokerError(failure.kind, failure.message);
    if (this.orders.has(intent.clientOrderId)) {
      throw new BrokerError('duplicate_client_order_id', 'client_order_id must be unique', 422);
    }
    const state: BrokerOrderState = {
      clientOrderId: intent.clientOrderId,
      brokerOrderId: `mem-${this.orders.size + 1}`,
      symbol: intent.symbol,
      side: intent.side,
      quantity: intent.quantity,
      status: 'accepted',
      filledQuantity: 0,
      filledAvgPrice: null,
      reason: null,
      updatedAt: this.#tick(),
    };
    this.orders.set(intent.clientOrderId, state);
    if (failure) throw new BrokerError(failure.kind, failure.message);
    return { ...state };
  }

  getOrder(clientOrderId: string): Promise<BrokerOrderState | null> {
    this.calls.push(`get ${clientOrderId}`);
    const state = this.orders.get(clientOrderId);
    return Promise.resolve(state ? { ...state } : null);
  }

  cancel(clientOrderId: string): Promise<void> {
    this.calls.push(`cancel ${clientOrderId}`);
    const state = this.#existing(clientOrderId);
    this.#update({ ...state, status: 'canceled', reason: 'canceled on request', updatedAt: this.#tick() });
    return Promise.resolve();
  }

  /** Executes `quantity` shares of an order at `price`: pushes the fill and the order update. */
  execute(clientOrderId: string, quantity: number, price: number): Fill {
    const state = this.#existing(clientOrderId);
    this.#executions += 1;
    const fill: Fill = {
      executionId: `exec-${this.#executions}`,
      clientOrderId,
      brokerOrderId: state.brokerOrderId,
      symbol: state.symbol,
      side: state.side,
      quantity,
      price,
      at: this.#tick(),
    };
    const filledQuantity = state.filledQuantity + quantity;
    const previousValue = (state.filledAvgPrice ?? 0) * state.filledQuantity;
    this.#update({
      ...state,
      status: filledQuantity === state.quantity ? 'filled' : 'partially_filled',
      filledQuantity,
      filledAvgPrice: Math.round((previousValue + price * quantity) / filledQuantity),
      updatedAt: fill.at,
    });
    this.deliverFill(fill);
    return fill;
  }

  /** Pushes a fill to the listeners (again, if a test wants a redelivery). */
  deliverFill(fill: Fill): void {
    for (const listener of this.#fillListeners) listener(fill);
  }

  openOrders(): Promise<BrokerOrderState[]> {
    return Promise.resolve([...this.orders.values()].filter((o) => o.status === 'accepted' || o.status === 'partially_filled'));
  }

  positions(): Promise<BrokerPosition[]> {
    return Promise.resolve(this.heldPositions.map((position) => ({ ...position })));
  }

  account(): Promise<BrokerAccount> {
    return Promise.resolve({ cash: 0, equity: 0, buyingPower: 0 });
  }

  onFill(listener: (fill: Fill) => void): () => void {
    this.#fillListeners.add(listener);
    return () => this.#fillListeners.delete(listener);
  }

  onOrderUpdate(listener: (state: BrokerOrderState) => void): () => void {
    this.#updateListeners.add(listener);
    return () => this.#updateListeners.delete(listener);
  }

  close(): Promise<void> {
    this.#fillListeners.clear();
    this.#updateListeners.clear();
    return Promise.resolve();
  }

  #existing(clientOrderId: string): BrokerOrderState {
    const state = this.orders.get(clientOrderId);
    if (!state) throw new BrokerError('not_found', `no order ${clientOrderId}`, 404);
    return state;
  }

  #update(state: BrokerOrderState): void {
    this.orders.set(state.clientOrderId, state);
    for (const listener of this.#updateListeners) listener({ ...state });
  }

  #tick(): number {
    this.#clock += 1_000;
    return this.#clock;
  }
}
