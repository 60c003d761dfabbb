/**
 * The book store of a backtest: the ledger's contract in memory. Broker events go through the ledger's
 * own pure planner (`planBrokerEvents`), and intents reserve through the same portfolio code, so a fill,
 * an expiry or a refusal does to a backtest's books exactly what it does to the live ledger's.
 */
import type { PendingSubmission, RecordedIntent } from '../ledger/ledger.ts';
import { eventOrderId, planBrokerEvents, type AppliedFillResult, type BrokerEvent, type BrokerEventResult, type RecordedBrokerState } from '../ledger/eventPlan.ts';
import type { StoredOrder } from '../ledger/orders.ts';
import { snapshotOf, type EquitySnapshot } from '../ledger/snapshotOf.ts';
import type { Money } from '../trading/money.ts';
import { BookError, newTeamBook, reserveForIntent } from '../trading/portfolio/book.ts';
import { TERMINAL_ORDER_STATUSES, type BrokerOrderState, type Fill, type OrderIntent, type TeamBook } from '../trading/types.ts';
import type { BookStore } from './ports.ts';
import { byCodeUnits } from '../codeUnitOrder.ts';

const byTeam = (a: TeamBook, b: TeamBook): number => byCodeUnits(a.teamId, b.teamId);

export class MemoryBooks implements BookStore {
  readonly #books = new Map<string, TeamBook>();
  readonly #orders = new Map<string, StoredOrder>();
  /** Orders not ended yet (pending submission, accepted, partially filled). */
  readonly #open = new Map<string, StoredOrder>();
  readonly #executions = new Set<string>();

  ensureTeamBooks(teamIds: readonly string[], startingCash: Money): Promise<TeamBook[]> {
    for (const teamId of teamIds) if (!this.#books.has(teamId)) this.#books.set(teamId, newTeamBook(teamId, startingCash));
    return Promise.resolve(teamIds.map((teamId) => this.#books.get(teamId)!).sort(byTeam));
  }

  loadBooks(): Promise<TeamBook[]> {
    return Promise.resolve([...this.#books.values()]);
  }

  getOrder(clientOrderId: string): Promise<StoredOrder | null> {
    return Promise.resolve(this.#orders.get(clientOrderId) ?? null);
  }

  openOrders(): Promise<StoredOrder[]> {
    return Promise.resolve([...this.#open.values()]);
  }

  /** As the ledger: durable (here: kept) and reserved, or refused when the book cannot reserve it. */
  recordIntents(intents: readonly OrderIntent[]): Promise<RecordedIntent[]> {
    return Promise.resolve(
      intents.map((intent): RecordedIntent => {
        const { clientOrderId } = intent;
        if (this.#orders.has(clientOrderId)) return { clientOrderId, outcome: 'already_recorded', reason: null };
        const book = this.#books.get(intent.teamId);
        if (book === undefined) throw new Error(`team ${intent.teamId} has no book: ensureTeamBooks first`);
        let order: StoredOrder;
        let result: RecordedIntent;
        try {
          this.#books.set(intent.teamId, reserveForIntent(book, intent));
          order = this.#newOrder(intent, 'pending_submit', intent.quantity, null);
          result = { clientOrderId, outcome: 'recorded', reason: null };
        } catch (error) {
          if (!(error instanceof BookError)) throw error;
          const reason = `not reserved: ${error.message}`;
          order = this.#newOrder(intent, 'rejected', 0, reason);
          result = { clientOrderId, outcome: 'refused', reason };
        }
        this.#orders.set(clientOrderId, order);
        if (order.status === 'pending_submit') this.#open.set(clientOrderId, order);
        return result;
      }),
    );
  }

  async applyFill(fill: Fill): Promise<AppliedFillResult> {
    const [result] = await this.applyFills([fill]);
    return result!;
  }

  applyFills(fills: readonly Fill[]): Promise<AppliedFillResult[]> {
    return Promise.resolve(this.#apply(fills.map((fill) => ({ kind: 'fill', fill }))).map((entry) => (entry as Extract<BrokerEventResult, { kind: 'fill' }>).result));
  }

  async recordBrokerState(state: BrokerOrderState): Promise<RecordedBrokerState> {
    const [result] = await this.recordBrokerStates([state]);
    return result!;
  }

  recordBrokerStates(states: readonly BrokerOrderState[]): Promise<RecordedBrokerState[]> {
    return Promise.resolve(this.#apply(states.map((state) => ({ kind: 'state', state }))).map((entry) => (entry as Extract<BrokerEventResult, { kind: 'state' }>).result));
  }

  pendingSubmissions(now = Number.POSITIVE_INFINITY, limit = 1_000): Promise<PendingSubmission[]> {
    const due: PendingSubmission[] = [];
    for (const order of this.#open.values()) {
      if (due.length >= limit) break;
      if (order.status === 'pending_submit' && (order.nextAttemptAt === null || order.nextAttemptAt <= now))
        due.push({ intent: order.intent, submitAttempts: order.submitAttempts });
    }
    return Promise.resolve(due);
  }

  recordSubmitFailure(clientOrderId: string, message: string, nextAttemptAt: number): Promise<void> {
    const order = this.#orders.get(clientOrderId);
    if (order?.status === 'pending_submit') this.#store({ ...order, submitAttempts: order.submitAttempts + 1, lastSubmitError: message, nextAttemptAt });
    return Promise.resolve();
  }

  /** Every team marked at the minute's prices (the ledger's `snapshotOf`), by team id. */
  snapshotEquity(minute: number, prices: Readonly<Record<string, Money>>): Promise<EquitySnapshot[]> {
    return Promise.resolve([...this.#books.values()].sort(byTeam).map((book) => snapshotOf(book, minute, prices)));
  }

  #newOrder(intent: OrderIntent, status: 'pending_submit' | 'rejected', reservedQuantity: number, brokerReason: string | null): StoredOrder {
    return {
      intent,
      status,
      brokerOrderId: null,
      filledQuantity: 0,
      filledAvgPrice: null,
      brokerReason,
      reservedQuantity,
      appliedQuantity: 0,
      submitAttempts: 0,
      nextAttemptAt: null,
      lastSubmitError: null,
      createdAt: intent.minute,
      updatedAt: intent.minute,
    };
  }

  #store(order: StoredOrder): void {
    const id = order.intent.clientOrderId;
    this.#orders.set(id, order);
    if (TERMINAL_ORDER_STATUSES.has(order.status)) this.#open.delete(id);
    else this.#open.set(id, order);
  }

  /** The rows the ledger would lock for these events, the pure plan over them, and its writes. */
  #apply(events: readonly BrokerEvent[]): BrokerEventResult[] {
    const teamOf = new Map<string, string>();
    const orders = new Map<string, StoredOrder>();
    const books = new Map<string, TeamBook>();
    const recordedExecutions = new Set<string>();
    for (const event of events) {
      const order = this.#orders.get(eventOrderId(event));
      if (order !== undefined) {
        teamOf.set(order.intent.clientOrderId, order.intent.teamId);
        orders.set(order.intent.clientOrderId, order);
        books.set(order.intent.teamId, this.#books.get(order.intent.teamId)!);
      }
      if (event.kind === 'fill' && this.#executions.has(event.fill.executionId)) recordedExecutions.add(event.fill.executionId);
    }
    const plan = planBrokerEvents(events, { teamOf, books, orders, recordedExecutions });
    for (const { fill } of plan.fills) this.#executions.add(fill.executionId);
    for (const { clientOrderId, update } of plan.orders) {
      const order = this.#orders.get(clientOrderId)!;
      const { brokerUpdatedAt, ...fields } = update;
      this.#store({ ...order, ...fields, nextAttemptAt: fields.status === 'pending_submit' ? order.nextAttemptAt : null, updatedAt: brokerUpdatedAt ?? order.updatedAt });
    }
    for (const [, after] of plan.books) this.#books.set(after.teamId, after);
    return plan.results;
  }
}
