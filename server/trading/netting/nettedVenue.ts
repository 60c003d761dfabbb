/**
 * The netted execution venue over a real broker (Alpaca): the minute engine's submission and fills stages
 * go through it instead of sending each team's order (DESIGN.md "Execution in one shared account").
 *
 * Submission (once per minute, over every team's due intents):
 *   1. the market intents are crossed per (minute, symbol) (`netting.ts`); each group, with its members,
 *      is recorded in the NetStore before anything is sent (first write wins: a retried pass finds the same
 *      group, and an intent that was not in it when it was formed is refused with that reason);
 *   2. the members are recorded in the books as accepted by the venue (their broker order id is the group's);
 *   3. each group with a non-zero net sends ONE market order for the net, client order id
 *      `n-<minute>-<symbol>-<side>`; a retry or a second worker gets the broker's existing order back.
 *   Limit orders are not netted: they go to the broker per team, as with `per-team` execution, but never
 *   while an opposite order of their symbol is open there (README).
 * Fills (first stage of every later minute): the net orders' states come from the broker's stream (or a
 *   lookup when a net order has not ended within `lookupAfterMs`). A group whose net order has ended (or
 *   whose net is zero, once the next bar is known) is allocated (`allocate`), the allocation recorded in the
 *   NetStore, then applied to the books as fills of the teams' own client order ids (applied once, by
 *   execution id), the unfilled rest of each member ended as canceled, and the group marked settled.
 * A crash between any two steps redoes the steps after it with the same ids and the same allocation.
 */
import type { Bar } from '../../../data/market/bar.ts';
import { embeddedCalendar, type MarketCalendar } from '../../../data/market/calendar.ts';
import type { AppliedFillResult, Ledger, RecordedBrokerState } from '../../ledger/ledger.ts';
import { toMoney } from '../money.ts';
import { isTerminal } from '../portfolio/orderLifecycle.ts';
import { createOrderRouter, type RateLimiter, type RouterProblem, type SubmissionResult } from '../router/orderRouter.ts';
import { sessionVerdict } from '../router/sessionGuard.ts';
import { BrokerError, type Broker, type BrokerOrderState, type Fill, type OrderIntent } from '../types.ts';
import { allocate, allocationExecutionId, crossIntents, groupOrderId, isNetClientOrderId, type NetGroup } from './netting.ts';
import { groupKey, type NetRecord, type NetStore } from './netStore.ts';
import { brokerStateOf } from '../orders/brokerState.ts';

export type NettedBooks = Pick<Ledger, 'pendingSubmissions' | 'recordBrokerStates' | 'recordBrokerState' | 'applyFill' | 'applyFills' | 'recordSubmitFailure' | 'openOrders'>;

export interface NettedVenueOptions {
  books: NettedBooks;
  broker: Broker;
  store: NetStore;
  limiter: RateLimiter;
  calendar?: MarketCalendar;
  /** A net order not ended this long after its minute is looked up at the broker. Default 2 minutes. */
  lookupAfterMs?: number;
  /** A net order still unsent this long after its minute is not sent any more. Default 5 minutes. */
  expireAfterMs?: number;
  onProblem?: (problem: RouterProblem) => void;
}

export interface NettedSettlement {
  fills: Array<{ fill: Fill; result: AppliedFillResult }>;
  ended: Array<{ state: BrokerOrderState; result: RecordedBrokerState }>;
  /** Groups settled by this call. */
  settled: number;
  /** Groups still waiting for their net order or for a bar. */
  waiting: number;
}

const REFUSALS: ReadonlySet<BrokerError['kind']> = new Set(['rejected', 'insufficient_buying_power', 'wash_trade']);

function netIntent(group: NetGroup): OrderIntent {
  return {
    clientOrderId: group.netClientOrderId!,
    teamId: 'net',
    minute: group.minute,
    seq: 1,
    symbol: group.symbol,
    side: group.side!,
    quantity: group.netQuantity,
    type: 'market',
    limitPrice: null,
    referencePrice: 0,
    reason: null,
  };
}

export class NettedVenue {
  readonly #books: NettedBooks;
  readonly #broker: Broker;
  readonly #store: NetStore;
  readonly #limiter: RateLimiter;
  readonly #calendar: MarketCalendar;
  readonly #lookupAfterMs: number;
  readonly #expireAfterMs: number;
  readonly #report: (problem: RouterProblem) => void;
  readonly #inFlight = new Set<Promise<unknown>>();
  #unsubscribe: Array<() => void> = [];
  /** Requests this venue made to the broker (benchmark). */
  requests = 0;

  constructor(options: NettedVenueOptions) {
    this.#books = options.books;
    this.#broker = options.broker;
    this.#store = options.store;
    this.#limiter = options.limiter;
    this.#calendar = options.calendar ?? embeddedCalendar;
    this.#lookupAfterMs = options.lookupAfterMs ?? 2 * 60_000;
    this.#expireAfterMs = options.expireAfterMs ?? 5 * 60_000;
    this.#report = options.onProblem ?? (() => undefined);
  }

  get broker(): Broker {
    return this.#broker;
  }

  /**
   * The account as reconciliation should compare it with the team books: the broker's positions less what
   * the net orders filled that is not allocated to the teams yet (their groups settle at a later fills
   * stage). Net orders are read after the positions, so a fill landing in between shows as a transient
   * difference, never hides one.
   */
  accountView(): Pick<Broker, 'name' | 'positions'> {
    return {
      name: this.#broker.name,
      positions: async () => {
        const positions = await this.#broker.positions();
        const pending = new Map<string, number>();
        for (const record of await this.#store.unsettled()) {
          if (record.state === null || record.group.side === null || record.state.filledQuantity === 0) continue;
          const signed = (record.group.side === 'buy' ? 1 : -1) * record.state.filledQuantity;
          pending.set(record.group.symbol, (pending.get(record.group.symbol) ?? 0) + signed);
        }
        const adjusted = positions.map((position) => ({ ...position, quantity: position.quantity - (pending.get(position.symbol) ?? 0) }));
        for (const [symbol, quantity] of pending) if (!positions.some((position) => position.symbol === symbol)) adjusted.push({ symbol, quantity: -quantity, avgEntryPrice: 0 });
        return adjusted.filter((position) => position.quantity !== 0);
      },
    };
  }

  /** The broker's events: net orders' states to the NetStore, the teams' own (limit) orders to the books. */
  listen(): void {
    if (this.#unsubscribe.length > 0) return;
    const track = (work: Promise<unknown>, clientOrderId: string, what: string) => {
      const settled = work
        .catch((error: unknown) => this.#report({ kind: 'ledger_failed', clientOrderId, message: `${what} not recorded`, error }))
        .finally(() => this.#inFlight.delete(settled));
      this.#inFlight.add(settled);
    };
    this.#unsubscribe = [
      this.#broker.onFill((fill) => {
        // A net order's executions are not applied one by one: the group is allocated once the order ends.
        if (isNetClientOrderId(fill.clientOrderId)) return;
        track(this.#books.applyFill(fill), fill.clientOrderId, `fill ${fill.executionId}`);
      }),
      this.#broker.onOrderUpdate((state) => {
        if (isNetClientOrderId(state.clientOrderId)) track(this.#store.recordNetState(state), state.clientOrderId, `net order ${state.status}`);
        else track(this.#books.recordBrokerState(state), state.clientOrderId, `order update ${state.status}`);
      }),
    ];
  }

  async idle(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  async close(): Promise<void> {
    for (const stop of this.#unsubscribe) stop();
    this.#unsubscribe = [];
    await this.idle();
  }

  async #request<T>(call: () => Promise<T>): Promise<T> {
    await this.#limiter.acquire();
    this.requests += 1;
    return call();
  }

  /** Submits every due intent: market ones netted, limit ones per team. */
  async submit(now: number): Promise<SubmissionResult[]> {
    const due = await this.#books.pendingSubmissions(now, 1_000_000);
    if (due.length === 0) return this.#sendUnsent(now).then(() => []);
    const results: SubmissionResult[] = [];
    const market = due.filter((pending) => pending.intent.type === 'market').map((pending) => pending.intent);
    const limits = due.filter((pending) => pending.intent.type !== 'market');

    // 1. Groups of the intents that may still be sent, recorded before anything is sent.
    const refusals: BrokerOrderState[] = [];
    const sendable: OrderIntent[] = [];
    const late: OrderIntent[] = [];
    for (const intent of market) {
      const verdict = sessionVerdict(intent.minute, now, this.#calendar);
      if (verdict.kind === 'refuse') refusals.push(this.#ending(intent, 'rejected', verdict.reason, now));
      else if (verdict.kind === 'too_late' || now - intent.minute > this.#expireAfterMs) late.push(intent);
      else sendable.push(intent);
    }
    const stored = await this.#store.recordGroups(crossIntents(sendable));
    const lateKeys = [...new Set(late.map((intent) => groupKey(intent.minute, intent.symbol)))];
    const records = new Map<string, NetRecord>([...stored, ...(await this.#store.find(lateKeys))].map((record) => [record.key, record]));

    // 2. Members accepted by the venue; the rest refused with the reason.
    const accepted: BrokerOrderState[] = [];
    for (const intent of [...sendable, ...late]) {
      const record = records.get(groupKey(intent.minute, intent.symbol));
      const member = record?.group.members.find((m) => m.clientOrderId === intent.clientOrderId);
      if (record !== undefined && member !== undefined) {
        accepted.push({ ...this.#ending(intent, 'accepted', null, now), brokerOrderId: groupOrderId(record.group) });
      } else if (late.includes(intent)) {
        refusals.push(this.#ending(intent, 'expired', `not sent within ${String(Math.round(this.#expireAfterMs / 1_000))} s of its minute, or the market closed first`, now));
      } else {
        refusals.push(this.#ending(intent, 'rejected', `arrived after the net order of ${intent.symbol} for its minute was formed`, now));
      }
    }
    const states = [...accepted, ...refusals];
    if (states.length > 0) {
      const recorded = await this.#books.recordBrokerStates(states);
      states.forEach((state, index) =>
        results.push({
          clientOrderId: state.clientOrderId,
          outcome: state.status === 'accepted' ? 'submitted' : state.status === 'expired' ? 'expired' : 'rejected',
          status: recorded[index]!.status ?? state.status,
          reason: state.reason,
          nextAttemptAt: null,
        }),
      );
    }

    // Limit orders: per team, through the order router (this venue listens to their events).
    // Sent before the net orders, and only when no opposite order of the symbol is open at the broker (a
    // net order, or another team's resting limit order): Alpaca would refuse it as a wash trade, and a team
    // must not lose an order because of another's. Otherwise it stays pending for a later pass.
    const sendableLimits = limits.length === 0 ? [] : await this.#limitsClearOfOpposites(limits);
    if (sendableLimits.length > 0) {
      let batch: typeof sendableLimits | null = sendableLimits;
      const router = createOrderRouter({
        broker: this.#broker,
        ledger: {
          pendingSubmissions: () => {
            const taken = batch ?? [];
            batch = null;
            return Promise.resolve(taken);
          },
          recordBrokerState: (state) => this.#books.recordBrokerState(state),
          recordBrokerStates: (list) => this.#books.recordBrokerStates(list),
          applyFill: (fill) => this.#books.applyFill(fill),
          recordSubmitFailure: (id, message, next) => this.#books.recordSubmitFailure(id, message, next),
          openOrders: () => this.#books.openOrders(),
        },
        limiter: { acquire: (signal) => this.#limiter.acquire(signal).then(() => void (this.requests += 1)) },
        now: () => now,
        calendar: this.#calendar,
        onProblem: this.#report,
      });
      results.push(...(await router.submitPending()));
    }

    // 3. One order per non-zero net (held while an opposite order of the symbol is open at the broker).
    await this.#sendUnsent(now);

    return results;
  }

  /**
   * The limit orders that may go to the broker now: none with an opposite order of its symbol open there.
   * One sent in this pass may rest, so an opposite one later in the same pass waits too (for a pass).
   */
  async #limitsClearOfOpposites<T extends { intent: OrderIntent }>(limits: readonly T[]): Promise<T[]> {
    const open = new Set((await this.#store.unsettled()).filter((r) => r.state !== null && !isTerminal(r.state.status)).map((r) => `${r.group.symbol}|${r.group.side ?? ''}`));
    for (const order of await this.#books.openOrders()) {
      if (order.intent.type === 'limit' && (order.status === 'accepted' || order.status === 'partially_filled')) open.add(`${order.intent.symbol}|${order.intent.side}`);
    }
    const clear: T[] = [];
    for (const pending of limits) {
      const { symbol, side } = pending.intent;
      if (open.has(`${symbol}|${side === 'buy' ? 'sell' : 'buy'}`)) continue;
      clear.push(pending);
      open.add(`${symbol}|${side}`);
    }
    return clear;
  }

  #ending(intent: OrderIntent, status: 'accepted' | 'rejected' | 'expired' | 'canceled', reason: string | null, at: number): BrokerOrderState {
    return brokerStateOf(intent, { brokerOrderId: null, status, filledQuantity: 0, filledAvgPrice: null, reason, updatedAt: at });
  }

  /** Sends the net orders recorded but not sent yet (a previous pass crashed or the broker was unavailable). */
  async #sendUnsent(now: number): Promise<void> {
    const unsettled = await this.#store.unsettled();
    // Symbol and side of every net order still open at the broker: an opposite one would be refused as a
    // wash trade, so a group waits (unsent, its members accepted) until the open one has ended.
    const open = new Set(
      unsettled.filter((record) => record.state !== null && !isTerminal(record.state.status)).map((record) => `${record.group.symbol}|${record.group.side ?? ''}`),
    );
    if (unsettled.some((record) => record.group.side !== null && record.state === null)) {
      // Teams' own (limit) orders resting at the broker count too.
      for (const order of await this.#books.openOrders()) {
        if (order.intent.type === 'limit' && (order.status === 'accepted' || order.status === 'partially_filled')) open.add(`${order.intent.symbol}|${order.intent.side}`);
      }
    }
    for (const record of unsettled) {
      const { group } = record;
      if (group.side === null || record.state !== null) continue;
      const intent = netIntent(group);
      const tooLate = now - group.minute > this.#expireAfterMs || sessionVerdict(group.minute, now, this.#calendar).kind !== 'send';
      if (!tooLate && open.has(`${group.symbol}|${group.side === 'buy' ? 'sell' : 'buy'}`)) continue;
      if (tooLate) {
        // Too late to send: unless a crashed pass did send it, it ends unfilled.
        try {
          const existing = await this.#request(() => this.#broker.getOrder(intent.clientOrderId));
          await this.#store.recordNetState(existing ?? { ...this.#ending(intent, 'expired', 'net order not sent in time', now) });
        } catch (error) {
          this.#report({ kind: 'submit_deferred', clientOrderId: intent.clientOrderId, message: `lookup of an unsent net order failed: ${String(error)}`, error });
        }
        continue;
      }
      // The broker's answer (or refusal) is recorded outside the try: a store failure stops the pass, and
      // the next one resubmits under the same id, which the broker answers with the existing order.
      let state: BrokerOrderState | null;
      try {
        state = await this.#request(() => this.#broker.submit(intent));
      } catch (error) {
        if (error instanceof BrokerError && error.kind === 'wash_trade') {
          // An opposite order we did not see open (placed by hand, or a stream not caught up): wait and retry
          // next pass rather than refuse the teams; past expireAfterMs the group ends unsent (see above).
          this.#report({ kind: 'submit_deferred', clientOrderId: intent.clientOrderId, message: `net order waits: ${error.message}`, error });
          state = null;
        } else if (error instanceof BrokerError && REFUSALS.has(error.kind)) {
          state = this.#ending(intent, 'rejected', `${error.kind}: ${error.message}`, now);
        } else if (error instanceof BrokerError && error.kind === 'duplicate_client_order_id') {
          state = await this.#request(() => this.#broker.getOrder(intent.clientOrderId)).catch(() => null);
        } else {
          this.#report({ kind: 'submit_deferred', clientOrderId: intent.clientOrderId, message: `net order not sent: ${String(error)}`, error });
          state = null;
        }
      }
      if (state === null) continue;
      await this.#store.recordNetState(state);
      if (!isTerminal(state.status)) open.add(`${group.symbol}|${group.side}`);
    }
  }

  /** Stage "fills": allocates every group whose net order has ended (or whose net is zero) once a bar after its minute is known. */
  async settle(minute: number, bars: ReadonlyMap<string, Bar>): Promise<NettedSettlement> {
    await this.idle();
    await this.#sendUnsent(minute);
    const out: NettedSettlement = { fills: [], ended: [], settled: 0, waiting: 0 };
    for (const record of await this.#store.unsettled()) {
      const { group } = record;
      let state = record.state;
      if (group.side !== null && (state === null || !isTerminal(state.status))) {
        if (state === null || minute - group.minute < this.#lookupAfterMs) {
          out.waiting += 1;
          continue;
        }
        try {
          const found = await this.#request(() => this.#broker.getOrder(group.netClientOrderId!));
          if (found !== null) {
            await this.#store.recordNetState(found);
            if (isTerminal(found.status)) state = found;
          }
        } catch (error) {
          this.#report({ kind: 'submit_deferred', clientOrderId: group.netClientOrderId!, message: `lookup of net order failed: ${String(error)}`, error });
        }
        if (state === null || !isTerminal(state.status)) {
          out.waiting += 1;
          continue;
        }
      }
      let allocation = record.allocation;
      if (allocation === null) {
        const filled = group.side === null ? 0 : state!.filledQuantity;
        let price: number | null = filled > 0 ? state!.filledAvgPrice : null;
        let at = state?.updatedAt ?? minute;
        if (price === null) {
          const bar = bars.get(group.symbol);
          if (bar === undefined || bar.timestamp <= group.minute || bar.volume === 0) {
            out.waiting += 1;
            continue;
          }
          price = toMoney(bar.open);
          at = bar.timestamp;
        }
        const shares = allocate(group, filled);
        const fills: Fill[] = [];
        for (const member of group.members) {
          const quantity = shares.get(member.clientOrderId)!;
          if (quantity === 0) continue;
          fills.push({
            executionId: allocationExecutionId(group, member.clientOrderId),
            clientOrderId: member.clientOrderId,
            brokerOrderId: groupOrderId(group),
            symbol: group.symbol,
            side: member.side,
            quantity,
            price,
            at,
          });
        }
        allocation = await this.#store.recordAllocation(record.key, fills);
      }
      const applied = allocation.length === 0 ? [] : await this.#books.applyFills(allocation);
      allocation.forEach((fill, index) => out.fills.push({ fill, result: applied[index]! }));
      const given = new Map(allocation.map((fill) => [fill.clientOrderId, fill.quantity]));
      const ends: BrokerOrderState[] = group.members
        .filter((member) => (given.get(member.clientOrderId) ?? 0) < member.quantity)
        .map((member) => ({
          clientOrderId: member.clientOrderId,
          brokerOrderId: groupOrderId(group),
          symbol: group.symbol,
          side: member.side,
          quantity: member.quantity,
          status: 'canceled',
          filledQuantity: given.get(member.clientOrderId) ?? 0,
          filledAvgPrice: null,
          reason: `the net order filled ${String(state?.filledQuantity ?? 0)} of ${String(group.netQuantity)} shares (${state?.reason ?? state?.status ?? ''}); the rest allocated pro rata`,
          updatedAt: state?.updatedAt ?? minute,
        }));
      if (ends.length > 0) {
        const recorded = await this.#books.recordBrokerStates(ends);
        ends.forEach((end, index) => out.ended.push({ state: end, result: recorded[index]! }));
      }
      await this.#store.markSettled(record.key);
      out.settled += 1;
    }
    return out;
  }
}
