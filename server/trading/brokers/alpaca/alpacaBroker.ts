/**
 * The Broker interface on Alpaca (SDK v4): orders with our `client_order_id`, fills from the
 * trade-updates stream with reconnect and catch-up, one shared client-side rate limit.
 *
 * Guarantees the rest of the server relies on:
 * - `submit` never creates a second order for one client id: Alpaca refuses a reused id (422), and
 *   on that answer (or when the submit's outcome is unknown: timeout, 5xx) we look the order up by
 *   client id and return it.
 * - every execution is reported once, with an id that is the same whether we saw it on the stream or
 *   recovered it after a disconnect (see `executionId` in alpacaOrders.ts).
 * - no execution is lost: after each reconnect (and on a gap between an order's filled quantity and
 *   the executions reported), orders changed since are listed and missing executions are read from
 *   the account's FILL activities.
 */
import { streaming, type trading } from '@alpacahq/alpaca-trade-api';
import type { Logger } from 'pino';
import { createAlpacaClient, createAlpacaLimiter } from '../../../../data/market/alpaca/alpacaClient.ts';
import type { AlpacaLimiter } from '../../../../data/market/alpaca/alpacaFetch.ts';
import type { AlpacaConfig } from '../../../config/config.ts';
import { BrokerError, TERMINAL_ORDER_STATUSES, type Broker, type BrokerAccount, type BrokerOrderState, type BrokerPosition, type Fill, type OrderIntent } from '../../types.ts';
import { alpacaDecimalToMoney, alpacaWholeQuantity, moneyToAlpacaDecimal } from './alpacaDecimal.ts';
import { BrokerSubscribers } from '../subscribers.ts';
import { toBrokerError } from './alpacaErrors.ts';
import { executionFromActivity, executionFromTradeUpdate, FillActivitySchema, fillFromExecution, orderStateFromAlpaca, type Execution, type FillActivity } from './alpacaOrders.ts';

export type AlpacaBrokerLog = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface AlpacaBrokerOptions {
  keyId: string;
  secretKey: string;
  paper: boolean;
  /** `ALPACA_TRADING_URL`: REST base (paper or live host, a proxy, a test server). */
  tradingUrl: string;
  /** `ALPACA_STREAM_URL`: the trade-updates WebSocket. */
  streamUrl: string;
  logger: AlpacaBrokerLog;
  /** Shared with every other client of the account: `SharedAlpacaBudget` (Redis, every process) or a `TokenBucket` (this process; the default, 200/minute). */
  limiter?: AlpacaLimiter;
  /** Per-attempt HTTP deadline once the request holds its permit. Default 10 s. */
  requestTimeoutMs?: number;
  /** SDK retries of GET requests. Default 2. */
  getRetries?: number;
  /** Stream reconnect backoff. Defaults 1 s doubling up to 30 s; never gives up. */
  reconnect?: { initialMs?: number; maxMs?: number };
  /** Stream keepalive: a ping every N ms detects a dead socket. Default 10 s. */
  pingIntervalMs?: number;
  /** How long `connect` waits for the stream's `listening` acknowledgement before going on (the stream keeps retrying). Default 10 s. */
  listenTimeoutMs?: number;
  /** Re-run an incomplete catch-up after this delay. Default 2 s. */
  catchUpRetryMs?: number;
  /** Look back this much before the disconnect when listing changed orders (clock skew, a socket that died unnoticed). Default 60 s. */
  catchUpMarginMs?: number;
  onRequest?: (method: string, url: URL) => void;
}

export interface AlpacaBrokerStats {
  streamConnections: number;
  catchUps: number;
  fillsReported: number;
  /** Executions seen again (stream repeat, catch-up overlap) and dropped. */
  duplicateExecutions: number;
  /** Orders whose filled quantity is ahead of the executions we could find (retrying). */
  ordersAwaitingExecutions: number;
}

interface TrackedOrder {
  orderId: string;
  clientOrderId: string;
  submittedAt: number;
  lastStatus: string;
  lastState: BrokerOrderState;
  brokerFilledQuantity: number;
  reportedQuantity: number;
  reportedCumulative: Set<number>;
}

const ORDER_PAGE = 500;
const ACTIVITY_PAGE = 100;
const MAX_CATCH_UP_RETRIES = 30;

function checkIntent(intent: OrderIntent): void {
  const problem =
    !Number.isSafeInteger(intent.quantity) || intent.quantity <= 0
      ? `quantity ${String(intent.quantity)} is not a positive whole number of shares`
      : intent.type === 'limit' && (intent.limitPrice === null || intent.limitPrice <= 0)
        ? 'a limit order needs a positive limit price'
        : intent.clientOrderId === '' || intent.clientOrderId.length > 128
          ? 'client order id must be 1 to 128 characters'
          : null;
  if (problem !== null) throw new BrokerError('rejected', `order ${intent.clientOrderId} not sent to Alpaca: ${problem}`);
}

export class AlpacaBroker implements Broker {
  readonly name = 'alpaca';
  readonly #orders: trading.OrdersApi;
  readonly #trading: ReturnType<typeof createAlpacaClient>['trading'];
  readonly #stream: streaming.TradingStream;
  readonly #log: AlpacaBrokerLog;
  readonly #options: AlpacaBrokerOptions;
  readonly #subscribers: BrokerSubscribers;
  readonly #tracked = new Map<string, TrackedOrder>();
  #disconnectedAt: number | null = null;
  #firstListening: (() => void) | undefined;
  #catchUpRunning: Promise<void> | null = null;
  #catchUpQueued: number | null = null;
  #catchUpTimer: NodeJS.Timeout | undefined;
  #catchUpRetries = 0;
  #closed = false;
  readonly #stats: AlpacaBrokerStats = { streamConnections: 0, catchUps: 0, fillsReported: 0, duplicateExecutions: 0, ordersAwaitingExecutions: 0 };

  private constructor(options: AlpacaBrokerOptions) {
    this.#options = options;
    this.#log = options.logger;
    // A listener that throws is logged and never keeps the event from the others or breaks the stream.
    this.#subscribers = new BrokerSubscribers((error, event) =>
      this.#log.error(
        { broker: 'alpaca', ...('executionId' in event ? { executionId: event.executionId } : { clientOrderId: event.clientOrderId }), error: String(error) },
        'executionId' in event ? 'a fill listener threw' : 'an order-update listener threw',
      ),
    );
    const client = createAlpacaClient({
      keyId: options.keyId,
      secretKey: options.secretKey,
      paper: options.paper,
      baseUrl: options.tradingUrl,
      limiter: options.limiter ?? createAlpacaLimiter(),
      ...(options.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: options.requestTimeoutMs }),
      ...(options.getRetries === undefined ? {} : { getRetries: options.getRetries }),
      ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
    });
    this.#trading = client.trading;
    this.#orders = client.trading.orders;
    this.#stream = client.trading.stream({
      url: options.streamUrl,
      maxReconnectAttempts: streaming.UNLIMITED_RECONNECT_ATTEMPTS,
      initialReconnectMs: options.reconnect?.initialMs ?? 1_000,
      maxReconnectMs: options.reconnect?.maxMs ?? 30_000,
      pingIntervalMs: options.pingIntervalMs ?? 10_000,
    });
    this.#stream.onTradeUpdate((update) => this.#onTradeUpdate(update));
    this.#stream.on(streaming.EVENT.SUBSCRIPTION, (streams: unknown) => this.#onListening(streams));
    this.#stream.onConnect(() => {
      this.#stats.streamConnections += 1;
    });
    this.#stream.onDisconnect(() => {
      if (this.#closed) return;
      this.#disconnectedAt ??= Date.now();
      this.#log.warn({ broker: 'alpaca' }, 'Alpaca trade-updates stream disconnected; reconnecting (missed fills are recovered after the reconnect)');
    });
    this.#stream.onError((message) => this.#log.warn({ broker: 'alpaca', error: message }, 'Alpaca trade-updates stream error'));
  }

  /**
   * Opens the trade-updates stream and waits until Alpaca acknowledges the subscription, so no
   * fill of an order submitted afterwards can be missed. Rejects if Alpaca refuses the keys.
   */
  static async connect(options: AlpacaBrokerOptions): Promise<AlpacaBroker> {
    const broker = new AlpacaBroker(options);
    await broker.#start();
    return broker;
  }

  static fromConfig(config: AlpacaConfig, dependencies: { logger: AlpacaBrokerLog; limiter?: AlpacaLimiter }): Promise<AlpacaBroker> {
    return AlpacaBroker.connect({
      keyId: config.keyId,
      secretKey: config.secretKey,
      paper: config.paper,
      tradingUrl: config.tradingUrl,
      streamUrl: config.streamUrl,
      ...dependencies,
    });
  }

  async #start(): Promise<void> {
    const listening = new Promise<void>((resolve) => (this.#firstListening = resolve));
    this.#stream.subscribeTradeUpdates();
    this.#stream.connect();
    const timeoutMs = this.#options.listenTimeoutMs ?? 10_000;
    const auth = await this.#stream.waitForAuthenticationResult(timeoutMs);
    if (auth.status === streaming.STREAM_AUTH_STATUS.SERVER_REJECTED) {
      this.#closed = true;
      this.#stream.disconnect();
      throw new BrokerError(
        'unauthorized',
        `Alpaca refused the trade-updates stream login at ${this.#options.streamUrl} (check ALPACA_KEY_ID / ALPACA_SECRET_KEY and ALPACA_PAPER)`,
      );
    }
    let timer: NodeJS.Timeout | undefined;
    const acknowledged = await Promise.race([listening.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)))]);
    clearTimeout(timer);
    if (!acknowledged) {
      this.#log.warn(
        { broker: 'alpaca', url: this.#options.streamUrl },
        `no trade-updates subscription after ${String(timeoutMs)} ms; going on, the stream keeps retrying and catches up when it connects`,
      );
    }
  }

  /**
   * Reports (to the listeners registered now) every order change and execution since `since`
   * (epoch ms): after a restart, call it once the fill and order listeners are attached, with the
   * time the previous process was last known to be listening. Executions already applied come
   * again with the same ids, so the ledger's exactly-once key drops them.
   */
  async catchUp(since: number): Promise<void> {
    await this.#catchUp(since, 'requested');
  }

  stats(): AlpacaBrokerStats {
    return { ...this.#stats, ordersAwaitingExecutions: [...this.#tracked.values()].filter((t) => t.reportedQuantity < t.brokerFilledQuantity).length };
  }

  // --- orders ----------------------------------------------------------------------------------

  async submit(intent: OrderIntent): Promise<BrokerOrderState> {
    checkIntent(intent);
    try {
      const order = await this.#orders.postOrder({
        postOrderRequest: {
          symbol: intent.symbol,
          qty: String(intent.quantity),
          side: intent.side,
          type: intent.type,
          timeInForce: 'day',
          clientOrderId: intent.clientOrderId,
          ...(intent.type === 'limit' && intent.limitPrice !== null ? { limitPrice: moneyToAlpacaDecimal(intent.limitPrice) } : {}),
        },
      });
      return this.#observe(order);
    } catch (error) {
      const failure = toBrokerError(error, `submit ${intent.clientOrderId}`);
      if (failure.kind !== 'duplicate_client_order_id' && failure.kind !== 'unavailable') throw failure;
      return this.#resolveUncertainSubmit(intent, failure);
    }
  }

  /**
   * The id is already used (a resubmission after a crash or a retry), or the submit's outcome is
   * unknown: the order by that client id, if Alpaca has one, is the answer.
   */
  async #resolveUncertainSubmit(intent: OrderIntent, failure: BrokerError): Promise<BrokerOrderState> {
    let existing: BrokerOrderState | null;
    try {
      existing = await this.getOrder(intent.clientOrderId);
    } catch (lookupError) {
      this.#log.warn({ broker: 'alpaca', clientOrderId: intent.clientOrderId, error: String(lookupError) }, 'could not look up an order after an uncertain submit');
      throw failure;
    }
    if (existing === null) {
      if (failure.kind === 'duplicate_client_order_id') {
        throw new BrokerError('duplicate_client_order_id', `Alpaca says client order id ${intent.clientOrderId} was used, but has no order with it`, failure.status, {
          cause: failure,
        });
      }
      // Not visible (yet): the order may still appear; a later submit with the same id is safe (422 path).
      throw failure;
    }
    if (existing.symbol !== intent.symbol || existing.side !== intent.side || existing.quantity !== intent.quantity) {
      this.#log.warn(
        { broker: 'alpaca', clientOrderId: intent.clientOrderId, existing: { symbol: existing.symbol, side: existing.side, quantity: existing.quantity } },
        'the order Alpaca holds under this client order id differs from the intent; reporting the order Alpaca holds',
      );
    }
    this.#log.info({ broker: 'alpaca', clientOrderId: intent.clientOrderId, why: failure.kind }, 'order already at Alpaca; returning its state instead of submitting again');
    return existing;
  }

  async getOrder(clientOrderId: string): Promise<BrokerOrderState | null> {
    try {
      return this.#observe(await this.#orders.getOrderByClientOrderId({ clientOrderId }));
    } catch (error) {
      const failure = toBrokerError(error, `get order ${clientOrderId}`);
      if (failure.kind === 'not_found') return null;
      throw failure;
    }
  }

  async cancel(clientOrderId: string): Promise<void> {
    const order = await this.getOrder(clientOrderId);
    if (order === null || order.brokerOrderId === null) throw new BrokerError('not_found', `Alpaca has no order with client order id ${clientOrderId}`, 404);
    if (TERMINAL_ORDER_STATUSES.has(order.status)) {
      throw new BrokerError('rejected', `order ${clientOrderId} is already ${order.status} at Alpaca; nothing to cancel`, null);
    }
    try {
      await this.#orders.deleteOrderByOrderID({ orderId: order.brokerOrderId });
    } catch (error) {
      throw toBrokerError(error, `cancel ${clientOrderId}`);
    }
  }

  async openOrders(): Promise<BrokerOrderState[]> {
    const orders = await this.#listOrders({ status: 'open' });
    return orders.map((order) => this.#observe(order));
  }

  async positions(): Promise<BrokerPosition[]> {
    let positions: trading.Position[];
    try {
      positions = await this.#trading.positions.getAllOpenPositions();
    } catch (error) {
      throw toBrokerError(error, 'list positions');
    }
    return positions.map((position) => {
      const quantity = alpacaWholeQuantity(position.qty, `position qty of ${position.symbol ?? '?'}`);
      return {
        symbol: position.symbol ?? '',
        quantity: position.side === 'short' && quantity > 0 ? -quantity : quantity,
        avgEntryPrice: alpacaDecimalToMoney(position.avgEntryPrice),
      };
    });
  }

  async account(): Promise<BrokerAccount> {
    let account: trading.Account;
    try {
      account = await this.#trading.account.getAccount();
    } catch (error) {
      throw toBrokerError(error, 'read account');
    }
    const amount = (value: string | undefined, field: string) => {
      if (value === undefined) throw new BrokerError('unavailable', `Alpaca account has no ${field}`);
      return alpacaDecimalToMoney(value);
    };
    return { cash: amount(account.cash, 'cash'), equity: amount(account.equity, 'equity'), buyingPower: amount(account.buyingPower, 'buying_power') };
  }

  onFill(listener: (fill: Fill) => void): () => void {
    return this.#subscribers.onFill(listener);
  }

  onOrderUpdate(listener: (state: BrokerOrderState) => void): () => void {
    return this.#subscribers.onOrderUpdate(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#catchUpTimer);
    this.#stream.disconnect();
    await this.#catchUpRunning?.catch(() => undefined);
  }

  // --- stream ----------------------------------------------------------------------------------

  #onListening(streams: unknown): void {
    if (!Array.isArray(streams) || !streams.includes('trade_updates')) return;
    this.#firstListening?.();
    this.#firstListening = undefined;
    const disconnectedAt = this.#disconnectedAt;
    if (disconnectedAt === null) return;
    this.#disconnectedAt = null;
    this.#log.info({ broker: 'alpaca', disconnectedAt: new Date(disconnectedAt).toISOString() }, 'trade-updates stream back; catching up on orders and fills');
    void this.#catchUp(disconnectedAt, 'stream reconnected');
  }

  #onTradeUpdate(update: streaming.TradeUpdate): void {
    try {
      const execution = executionFromTradeUpdate(update);
      const tracked = this.#track(update.order);
      if (execution !== null) this.#report(execution);
      this.#observe(update.order);
      if (tracked.reportedQuantity < tracked.brokerFilledQuantity) {
        this.#log.warn(
          { broker: 'alpaca', clientOrderId: tracked.clientOrderId, filled: tracked.brokerFilledQuantity, reported: tracked.reportedQuantity },
          'a fill of this order never arrived on the stream; recovering it from the account activities',
        );
        this.#scheduleCatchUp(tracked.submittedAt, 0);
      }
    } catch (error) {
      this.#log.error({ broker: 'alpaca', event: update.event, error: String(error) }, 'could not process an Alpaca trade update; the next catch-up will recover it');
      this.#scheduleCatchUp(Date.now() - (this.#options.catchUpMarginMs ?? 60_000), this.#options.catchUpRetryMs ?? 2_000);
    }
  }

  /** Remembers the order; its status and filled quantity are kept current by `#observe`. */
  #track(order: trading.Order): TrackedOrder {
    const id = order.id ?? '';
    let tracked = this.#tracked.get(id);
    if (tracked === undefined) {
      const state = orderStateFromAlpaca(order);
      tracked = {
        orderId: id,
        clientOrderId: state.clientOrderId,
        submittedAt: (order.submittedAt ?? order.createdAt ?? new Date()).getTime(),
        lastStatus: '',
        lastState: state,
        brokerFilledQuantity: state.filledQuantity,
        reportedQuantity: 0,
        reportedCumulative: new Set(),
      };
      this.#tracked.set(id, tracked);
    }
    return tracked;
  }

  /** The state of an order as Alpaca reports it; listeners hear of every change of status or filled quantity. */
  #observe(order: trading.Order): BrokerOrderState {
    const state = orderStateFromAlpaca(order);
    if (state.brokerOrderId === null) return state;
    const tracked = this.#track(order);
    tracked.brokerFilledQuantity = Math.max(tracked.brokerFilledQuantity, state.filledQuantity);
    const signature = `${order.status ?? ''}:${String(state.filledQuantity)}`;
    // A REST answer can be older than a stream frame already seen: never move an order backwards.
    const regresses =
      state.filledQuantity < tracked.lastState.filledQuantity || (TERMINAL_ORDER_STATUSES.has(tracked.lastState.status) && !TERMINAL_ORDER_STATUSES.has(state.status));
    if (signature !== tracked.lastStatus && (tracked.lastStatus === '' || !regresses)) {
      tracked.lastStatus = signature;
      tracked.lastState = state;
      this.#emitOrderUpdate(state);
    }
    return state;
  }

  /** Reports an execution unless it was reported before (same order, same cumulative quantity). */
  #report(execution: Execution): void {
    const tracked = this.#tracked.get(execution.orderId);
    if (tracked === undefined) throw new Error(`internal: execution for untracked order ${execution.orderId}`);
    if (tracked.reportedCumulative.has(execution.cumulativeQuantity)) {
      this.#stats.duplicateExecutions += 1;
      return;
    }
    tracked.reportedCumulative.add(execution.cumulativeQuantity);
    tracked.reportedQuantity += execution.quantity;
    tracked.brokerFilledQuantity = Math.max(tracked.brokerFilledQuantity, execution.cumulativeQuantity);
    this.#stats.fillsReported += 1;
    this.#subscribers.emitFill(fillFromExecution(execution));
  }

  #emitOrderUpdate(state: BrokerOrderState): void {
    this.#subscribers.emitUpdate(state);
  }

  // --- catch-up --------------------------------------------------------------------------------

  #scheduleCatchUp(since: number, delayMs: number): void {
    if (this.#closed) return;
    this.#catchUpQueued = Math.min(this.#catchUpQueued ?? since, since);
    if (this.#catchUpTimer !== undefined) return;
    this.#catchUpTimer = setTimeout(() => {
      this.#catchUpTimer = undefined;
      const queued = this.#catchUpQueued;
      this.#catchUpQueued = null;
      if (queued !== null) void this.#catchUp(queued, 'retry');
    }, delayMs);
  }

  /** One catch-up at a time; a request during one is merged into a follow-up. */
  async #catchUp(since: number, why: string): Promise<void> {
    if (this.#closed) return;
    if (this.#catchUpRunning !== null) {
      this.#catchUpQueued = Math.min(this.#catchUpQueued ?? since, since);
      await this.#catchUpRunning;
      return;
    }
    const run = this.#runCatchUp(since, why).finally(() => {
      this.#catchUpRunning = null;
      const queued = this.#catchUpQueued;
      if (queued !== null && this.#catchUpTimer === undefined) {
        this.#catchUpQueued = null;
        void this.#catchUp(queued, 'queued');
      }
    });
    this.#catchUpRunning = run;
    await run;
  }

  async #runCatchUp(sinceInstant: number, why: string): Promise<void> {
    this.#stats.catchUps += 1;
    const margin = this.#options.catchUpMarginMs ?? 60_000;
    let since = sinceInstant - margin;
    for (const tracked of this.#tracked.values()) {
      if (!TERMINAL_ORDER_STATUSES.has(tracked.lastState.status) || tracked.reportedQuantity < tracked.brokerFilledQuantity) {
        since = Math.min(since, tracked.submittedAt - margin);
      }
    }
    try {
      const orders = await this.#listOrders({ status: 'all', after: since });
      for (const order of orders) {
        this.#track(order);
        this.#observe(order);
      }
      const behind = new Set([...this.#tracked.values()].filter((t) => t.reportedQuantity < t.brokerFilledQuantity).map((t) => t.orderId));
      if (behind.size > 0) {
        const activities = await this.#fillActivities(since);
        const executions = activities
          .filter((activity) => behind.has(activity.order_id))
          .map((activity) => executionFromActivity(activity, this.#tracked.get(activity.order_id)?.clientOrderId ?? ''))
          .sort((a, b) => (a.orderId === b.orderId ? a.cumulativeQuantity - b.cumulativeQuantity : a.at - b.at));
        for (const execution of executions) this.#report(execution);
        // Listeners hear the fills before the final order status.
        for (const order of orders) if (behind.has(order.id ?? '')) this.#observe(order);
      }
      const stillBehind = [...this.#tracked.values()].filter((t) => t.reportedQuantity < t.brokerFilledQuantity);
      this.#log.info({ broker: 'alpaca', why, orders: orders.length, recovered: behind.size - stillBehind.length }, 'Alpaca catch-up done');
      if (stillBehind.length > 0) this.#retryCatchUp(sinceInstant, `${String(stillBehind.length)} order(s) have fills not yet in the FILL activities`);
      else this.#catchUpRetries = 0;
      this.#prune();
    } catch (error) {
      this.#retryCatchUp(sinceInstant, error instanceof Error ? error.message : String(error));
    }
  }

  #retryCatchUp(since: number, reason: string): void {
    this.#catchUpRetries += 1;
    if (this.#catchUpRetries > MAX_CATCH_UP_RETRIES) {
      this.#log.error({ broker: 'alpaca', reason }, 'Alpaca catch-up still incomplete after many retries; fills may be missing until reconciliation');
      this.#catchUpRetries = 0;
      return;
    }
    this.#log.warn({ broker: 'alpaca', reason, attempt: this.#catchUpRetries }, 'Alpaca catch-up incomplete; retrying');
    this.#scheduleCatchUp(since, this.#options.catchUpRetryMs ?? 2_000);
  }

  /** Forgets orders that are finished, fully reported and a day old (the ledger's own key guards beyond that). */
  #prune(): void {
    const cutoff = Date.now() - 24 * 60 * 60 * 1000;
    for (const [id, tracked] of this.#tracked) {
      if (TERMINAL_ORDER_STATUSES.has(tracked.lastState.status) && tracked.reportedQuantity >= tracked.brokerFilledQuantity && tracked.lastState.updatedAt < cutoff) {
        this.#tracked.delete(id);
      }
    }
  }

  /** All orders of a status submitted after an instant, following Alpaca's 500-per-page limit. */
  async #listOrders(filter: { status: 'open' | 'all'; after?: number }): Promise<trading.Order[]> {
    const seen = new Map<string, trading.Order>();
    let after = filter.after;
    for (;;) {
      let page: trading.Order[];
      try {
        page = await this.#orders.getAllOrders({
          status: filter.status,
          limit: ORDER_PAGE,
          direction: 'asc',
          ...(after === undefined ? {} : { after: new Date(after).toISOString() }),
        });
      } catch (error) {
        throw toBrokerError(error, `list ${filter.status} orders`);
      }
      let added = 0;
      for (const order of page) {
        if (order.id !== undefined && !seen.has(order.id)) {
          seen.set(order.id, order);
          added += 1;
        }
      }
      const last = page.at(-1)?.submittedAt ?? page.at(-1)?.createdAt;
      if (page.length < ORDER_PAGE || added === 0 || last === undefined) break;
      // Orders submitted in the same millisecond as the page's last one must not be skipped.
      after = last.getTime() - 1;
    }
    return [...seen.values()];
  }

  /** FILL activities after an instant, oldest first, read from the raw JSON (see FillActivitySchema). */
  async #fillActivities(after: number): Promise<FillActivity[]> {
    const activities: FillActivity[] = [];
    let pageToken: string | undefined;
    for (;;) {
      let json: unknown;
      try {
        const response = await this.#trading.accountActivities.getAccountActivitiesByActivityTypeRaw({
          activityType: 'FILL',
          after: new Date(after),
          direction: 'asc',
          pageSize: ACTIVITY_PAGE,
          ...(pageToken === undefined ? {} : { pageToken }),
        });
        json = await response.raw.json();
      } catch (error) {
        throw toBrokerError(error, 'list FILL activities');
      }
      const parsed = FillActivitySchema.array().safeParse(json);
      if (!parsed.success) throw new BrokerError('unavailable', `Alpaca FILL activities were not in the documented shape: ${parsed.error.message}`);
      activities.push(...parsed.data);
      const last = parsed.data.at(-1);
      if (parsed.data.length < ACTIVITY_PAGE || last === undefined) return activities;
      pageToken = last.id;
    }
  }
}
