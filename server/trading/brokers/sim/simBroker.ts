/**
 * The simulated broker: one in-memory account shared by every team, deterministic.
 *
 * Execution model (no look-ahead):
 * - An order decided on the bars of minute M only ever fills on a bar whose timestamp is after M,
 *   so never at a price the strategy could have seen when deciding.
 * - Market orders fill in full at that bar's open, moved against the order by `slippageBps`
 *   (buys up, sells down) and rounded onto the Money grid against the order too (buys up, sells down).
 * - Limit orders fill in full when the bar trades through the limit (low ≤ limit for a buy,
 *   high ≥ limit for a sell), at the better of the open and the limit; no slippage.
 * - Optional price collar on market buys (`marketBuyCollarBps`): a market buy that would fill above
 *   its reference price × (1 + collar) is canceled instead (reason given), and buying power is held
 *   at that collar price, so a buy can never cost more than the cash checked for it.
 * - A symbol without a bar in a minute, or with a zero-volume bar (nothing traded), fills nothing:
 *   the order stays open. Day orders still open at the session close expire (`expireOpenOrders`).
 * - Orders are processed in submission order, so two runs with the same inputs give the same fills.
 *
 * Submission rejects what a broker rejects, by throwing BrokerError (no order is created, as with
 * Alpaca's 403/422 answers): bad quantity, unknown symbol, selling more shares than the account holds
 * net of open sells, buying beyond the account's buying power (cash minus open buy orders).
 * `submit` is idempotent by clientOrderId: a known id returns that order's state.
 */
import type { Bar } from '../../../../data/market/bar.ts';
import { notional, toMoney, type Money } from '../../money.ts';
import { BrokerError, TERMINAL_ORDER_STATUSES, type Broker, type BrokerAccount, type BrokerOrderState, type BrokerPosition, type Fill, type OrderIntent } from '../../types.ts';
import { formatDollars } from '../../orders/formatMoney.ts';
import { marketBuyCeiling } from '../../orders/validate.ts';
import { BrokerSubscribers } from '../subscribers.ts';

export interface SimBrokerOptions {
  /** Cash of the shared account at the start, exact. */
  startingCash: Money;
  /** Symbols the broker knows; anything else is rejected like an unknown asset. */
  symbols: Iterable<string>;
  /** Adverse price move applied to market fills, in basis points (≥ 0). Default 0. */
  slippageBps?: number;
  /** Market buys never fill above reference price × (1 + collar); unset: no collar. */
  marketBuyCollarBps?: number;
}

export interface AdvanceResult {
  fills: Fill[];
  /** State changes of orders this minute (fills), in processing order. */
  updates: BrokerOrderState[];
}

interface SimOrder {
  intent: OrderIntent;
  state: BrokerOrderState;
  /** Buying power this open buy holds back. */
  reserved: Money;
  executions: number;
}

interface SimPosition {
  quantity: number;
  costBasis: Money;
}

/** Bars of one minute, by symbol (a Map, as `MinuteBars.bars`, or any lookup with `get`). */
export interface BarLookup {
  get(symbol: string): Bar | undefined;
}

const copy = (state: BrokerOrderState): BrokerOrderState => ({ ...state });

export function slippedMarketPrice(open: number, side: 'buy' | 'sell', slippageBps: number): Money {
  const base = toMoney(open);
  if (side === 'buy') return Math.ceil((base * (10_000 + slippageBps)) / 10_000);
  return Math.floor((base * (10_000 - slippageBps)) / 10_000);
}

export class SimBroker implements Broker {
  readonly name = 'sim';
  readonly #slippageBps: number;
  readonly #collarBps: number | null;
  readonly #symbols: ReadonlySet<string>;
  readonly #orders = new Map<string, SimOrder>();
  /** Open orders in submission order. */
  readonly #open = new Map<string, SimOrder>();
  readonly #positions = new Map<string, SimPosition>();
  readonly #subscribers = new BrokerSubscribers();
  #cash: Money;
  #reserved: Money = 0;
  #nextOrderNumber = 1;
  #lastMinute = -Infinity;
  #lastPrices = new Map<string, Money>();

  constructor(options: SimBrokerOptions) {
    const slippage = options.slippageBps ?? 0;
    if (!Number.isFinite(slippage) || slippage < 0 || slippage >= 10_000) throw new RangeError(`slippageBps must be from 0 to 9999, got ${String(slippage)}`);
    if (!Number.isSafeInteger(options.startingCash) || options.startingCash < 0) throw new RangeError(`startingCash must be exact non-negative Money, got ${String(options.startingCash)}`);
    this.#slippageBps = slippage;
    const collar = options.marketBuyCollarBps;
    if (collar !== undefined && (!Number.isFinite(collar) || collar < 0)) throw new RangeError(`marketBuyCollarBps must be ≥ 0, got ${String(collar)}`);
    this.#collarBps = collar ?? null;
    this.#symbols = new Set(options.symbols);
    this.#cash = options.startingCash;
  }

  /** Synchronous submit for in-process callers (the backtest loop); `submit` wraps it. */
  submitNow(intent: OrderIntent): BrokerOrderState {
    const known = this.#orders.get(intent.clientOrderId);
    if (known !== undefined) return copy(known.state);
    if (!Number.isInteger(intent.quantity) || intent.quantity <= 0) {
      throw new BrokerError('rejected', `qty must be a positive whole number of shares, got ${String(intent.quantity)}`, 422);
    }
    if (!this.#symbols.has(intent.symbol)) throw new BrokerError('rejected', `asset "${intent.symbol}" not found`, 422);
    if (intent.type === 'limit' && (intent.limitPrice === null || intent.limitPrice <= 0)) {
      throw new BrokerError('rejected', 'a limit order needs a positive limit price', 422);
    }
    let reserved = 0;
    if (intent.side === 'sell') {
      const held = this.#positions.get(intent.symbol)?.quantity ?? 0;
      const available = held - this.#openSellQuantity(intent.symbol);
      if (intent.quantity > available) {
        throw new BrokerError('rejected', `insufficient qty available for order (requested: ${String(intent.quantity)}, available: ${String(Math.max(0, available))})`, 403);
      }
    } else {
      reserved = intent.limitPrice !== null ? notional(intent.quantity, intent.limitPrice) : notional(intent.quantity, this.#collarPrice(intent.referencePrice));
      const buyingPower = this.#cash - this.#reserved;
      if (reserved > buyingPower) {
        throw new BrokerError('insufficient_buying_power', `insufficient buying power: order costs ${formatDollars(reserved)}, buying power ${formatDollars(buyingPower)}`, 403);
      }
    }
    const state: BrokerOrderState = {
      clientOrderId: intent.clientOrderId,
      brokerOrderId: `sim-order-${String(this.#nextOrderNumber++)}`,
      symbol: intent.symbol,
      side: intent.side,
      quantity: intent.quantity,
      status: 'accepted',
      filledQuantity: 0,
      filledAvgPrice: null,
      reason: null,
      updatedAt: intent.minute,
    };
    const order: SimOrder = { intent, state, reserved, executions: 0 };
    this.#orders.set(intent.clientOrderId, order);
    this.#open.set(intent.clientOrderId, order);
    this.#reserved += reserved;
    this.#emitUpdate(state);
    return copy(state);
  }

  submit(intent: OrderIntent): Promise<BrokerOrderState> {
    try {
      return Promise.resolve(this.submitNow(intent));
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /**
   * Processes the bars of one minute: fills what they trade through, in submission order, emits the
   * fills and updates to listeners and returns them. Minutes must increase.
   */
  advance(minute: number, bars: BarLookup): AdvanceResult {
    if (minute <= this.#lastMinute) throw new RangeError(`SimBroker.advance: minutes must increase (${String(minute)} after ${String(this.#lastMinute)})`);
    this.#lastMinute = minute;
    if (this.#open.size === 0) return { fills: [], updates: [] };
    const fills: Fill[] = [];
    const updates: BrokerOrderState[] = [];
    for (const order of this.#open.values()) {
      const bar = bars.get(order.intent.symbol);
      if (bar === undefined || bar.timestamp <= order.intent.minute || bar.volume === 0) continue;
      const price = this.#fillPrice(order, bar);
      if (price === null) continue;
      if (this.#collarBps !== null && order.intent.side === 'buy' && order.intent.limitPrice === null && price > this.#collarPrice(order.intent.referencePrice)) {
        const reason = `market buy would fill at ${formatDollars(price)}, above the price collar ${formatDollars(this.#collarPrice(order.intent.referencePrice))} (${formatDollars(order.intent.referencePrice)} + ${String(this.#collarBps / 100)}%)`;
        this.#end(order, 'canceled', reason, bar.timestamp);
        updates.push(copy(order.state));
        continue;
      }
      const fill = this.#execute(order, price, bar.timestamp);
      fills.push(fill);
      updates.push(copy(order.state));
    }
    for (const fill of fills) this.#emitFill(fill);
    for (const update of updates) this.#emitUpdate(update);
    return { fills, updates };
  }

  /** Day orders still open at `at` (the session close) expire; returns their final states. */
  expireOpenOrders(at: number): BrokerOrderState[] {
    const expired: BrokerOrderState[] = [];
    for (const order of [...this.#open.values()]) {
      this.#end(order, 'expired', 'day order expired at the session close', at);
      expired.push(copy(order.state));
    }
    for (const state of expired) this.#emitUpdate(state);
    return expired;
  }

  getOrder(clientOrderId: string): Promise<BrokerOrderState | null> {
    const order = this.#orders.get(clientOrderId);
    return Promise.resolve(order === undefined ? null : copy(order.state));
  }

  cancel(clientOrderId: string): Promise<void> {
    const order = this.#orders.get(clientOrderId);
    if (order === undefined) return Promise.reject(new BrokerError('not_found', `order ${clientOrderId} not found`, 404));
    if (!TERMINAL_ORDER_STATUSES.has(order.state.status)) {
      this.#end(order, 'canceled', 'canceled on request', Math.max(this.#lastMinute, order.intent.minute));
      this.#emitUpdate(copy(order.state));
    }
    return Promise.resolve();
  }

  openOrders(): Promise<BrokerOrderState[]> {
    return Promise.resolve([...this.#open.values()].map((order) => copy(order.state)));
  }

  positions(): Promise<BrokerPosition[]> {
    const out: BrokerPosition[] = [];
    for (const [symbol, position] of [...this.#positions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (position.quantity === 0) continue;
      out.push({ symbol, quantity: position.quantity, avgEntryPrice: Math.round(position.costBasis / position.quantity) });
    }
    return Promise.resolve(out);
  }

  /** Equity marks positions at the last fill price seen per symbol (the broker knows no other prices). */
  account(): Promise<BrokerAccount> {
    let equity = this.#cash;
    for (const [symbol, position] of this.#positions) equity += position.quantity * (this.#lastPrices.get(symbol) ?? 0);
    return Promise.resolve({ cash: this.#cash, equity, buyingPower: this.#cash - this.#reserved });
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

  /** Buying power a market buy holds per share: the collar price, or the reference price when there is no collar. */
  #collarPrice(referencePrice: Money): Money {
    return this.#collarBps === null ? referencePrice : marketBuyCeiling(referencePrice, this.#collarBps);
  }

  #fillPrice(order: SimOrder, bar: Bar): Money | null {
    const { side, limitPrice } = order.intent;
    if (limitPrice === null) return slippedMarketPrice(bar.open, side, this.#slippageBps);
    const open = toMoney(bar.open);
    if (side === 'buy') return toMoney(bar.low) <= limitPrice ? Math.min(open, limitPrice) : null;
    return toMoney(bar.high) >= limitPrice ? Math.max(open, limitPrice) : null;
  }

  #execute(order: SimOrder, price: Money, at: number): Fill {
    const { intent, state } = order;
    const quantity = intent.quantity - state.filledQuantity;
    const value = notional(quantity, price);
    const position = this.#positions.get(intent.symbol) ?? { quantity: 0, costBasis: 0 };
    if (intent.side === 'buy') {
      this.#cash -= value;
      position.costBasis += value;
      position.quantity += quantity;
    } else {
      // Average-cost basis: the sold shares take their proportional share of the cost.
      const soldCost = position.quantity === quantity ? position.costBasis : Math.round((position.costBasis * quantity) / position.quantity);
      this.#cash += value;
      position.costBasis -= soldCost;
      position.quantity -= quantity;
    }
    this.#positions.set(intent.symbol, position);
    this.#lastPrices.set(intent.symbol, price);
    order.executions += 1;
    const previousValue = state.filledAvgPrice === null ? 0 : state.filledQuantity * state.filledAvgPrice;
    state.filledQuantity += quantity;
    state.filledAvgPrice = Math.round((previousValue + value) / state.filledQuantity);
    state.status = 'filled';
    state.updatedAt = at;
    this.#release(order);
    return {
      executionId: `sim-${intent.clientOrderId}-${String(order.executions)}`,
      clientOrderId: intent.clientOrderId,
      brokerOrderId: state.brokerOrderId,
      symbol: intent.symbol,
      side: intent.side,
      quantity,
      price,
      at,
    };
  }

  #end(order: SimOrder, status: 'canceled' | 'expired', reason: string, at: number): void {
    order.state.status = status;
    order.state.reason = reason;
    order.state.updatedAt = at;
    this.#release(order);
  }

  #release(order: SimOrder): void {
    this.#reserved -= order.reserved;
    order.reserved = 0;
    this.#open.delete(order.intent.clientOrderId);
  }

  #openSellQuantity(symbol: string): number {
    let total = 0;
    for (const order of this.#open.values()) if (order.intent.side === 'sell' && order.intent.symbol === symbol) total += order.intent.quantity;
    return total;
  }

  #emitFill(fill: Fill): void {
    this.#subscribers.emitFill(fill);
  }

  #emitUpdate(state: BrokerOrderState): void {
    this.#subscribers.emitUpdate(state);
  }
}
