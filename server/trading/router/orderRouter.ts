/**
 * Sends durable order intents to the broker and records every answer in the ledger.
 *
 * The ledger holds the truth; this module only moves it. Intents are already in Postgres (status
 * pending_submit, cash or shares reserved) before `submitPending` sees them, so a crash anywhere
 * leaves them pending, and the next run submits them again under the same client order id — which
 * the broker answers with the existing order (directly, or as `duplicate_client_order_id`, upon
 * which we look it up). No path submits a second order. Fills and order updates from the broker's
 * stream go straight to the ledger, which applies each execution once.
 */
import type { Ledger, PendingSubmission } from '../../../data/postgres/ledger/ledger.ts';
import { BrokerError, type Broker, type BrokerOrderState, type OrderIntent, type OrderStatus } from '../types.ts';

/** Anything that hands out request permits (e.g. the shared Alpaca TokenBucket). */
export interface RateLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
}

export interface BackoffPolicy {
  /** Delay after the first failed attempt; doubled after each further one. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

/** The ledger operations the router uses (the Postgres ledger implements them). */
export type RouterLedger = Pick<Ledger, 'pendingSubmissions' | 'recordBrokerState' | 'applyFill' | 'recordSubmitFailure' | 'openOrders'>;

export type RouterProblemKind =
  | 'submit_deferred' // the broker could not take the order now (unavailable, rate limited, unauthorized…): retried later
  | 'event_not_applied' // a fill or order update the ledger flagged, refused or could not attribute
  | 'ledger_failed'; // recording a broker event failed (Postgres down?): the broker's catch-up must bring it again

export interface RouterProblem {
  kind: RouterProblemKind;
  clientOrderId: string;
  message: string;
  error?: unknown;
}

export interface OrderRouterOptions {
  broker: Broker;
  ledger: RouterLedger;
  /** One permit per broker request the router makes. */
  limiter: RateLimiter;
  backoff?: BackoffPolicy;
  now?: () => number;
  /** Most intents one `submitPending` call takes. */
  batchSize?: number;
  /**
   * An intent still unsent this long after its minute is not sent any more (a market order from before an
   * outage would trade on stale information): unless the broker turns out to have it, it is recorded as
   * expired and its reservation released. Default 5 minutes.
   */
  expireAfterMs?: number;
  /** Everything that went wrong but did not stop the router; the composition root logs it. */
  onProblem?: (problem: RouterProblem) => void;
}

export type SubmissionOutcome =
  | 'submitted' // the broker took it; its state is recorded
  | 'recovered' // the broker had it already (crash after submit, or a second worker): its state is recorded
  | 'rejected' // the broker refused it: recorded as rejected, reservation released
  | 'expired' // too old to send: recorded as expired, reservation released
  | 'deferred'; // left pending_submit for a retry at `nextAttemptAt`

export interface SubmissionResult {
  clientOrderId: string;
  outcome: SubmissionOutcome;
  /** The order's status in the ledger after this attempt. */
  status: OrderStatus;
  reason: string | null;
  nextAttemptAt: number | null;
}

export interface OrderRouter {
  /** Submits every due pending intent, oldest first, one permit per broker request. */
  submitPending(): Promise<SubmissionResult[]>;
  /** Subscribes to the broker's fills and order updates (idempotent). */
  listen(): void;
  /** Asks the broker for the state of every open order the ledger knows, and records it (after a reconnect or restart). */
  refreshOpenOrders(): Promise<void>;
  /** Resolves once every event received so far is recorded. */
  idle(): Promise<void>;
  /** Unsubscribes and waits for in-flight recording. */
  close(): Promise<void>;
}

/** The delay before attempt number `attempts + 1`, given `attempts` failures so far (≥ 1). */
export function backoffDelay(policy: BackoffPolicy, attempts: number): number {
  const exponent = Math.max(0, attempts - 1);
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 30));
}

const REFUSALS: ReadonlySet<BrokerError['kind']> = new Set(['rejected', 'insufficient_buying_power', 'wash_trade']);

export function createOrderRouter(options: OrderRouterOptions): OrderRouter {
  const { broker, ledger, limiter } = options;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 1_000;
  const expireAfterMs = options.expireAfterMs ?? 5 * 60_000;
  const report = options.onProblem ?? (() => undefined);
  const inFlight = new Set<Promise<void>>();
  let unsubscribe: (() => void)[] = [];

  async function record(state: BrokerOrderState, outcome: 'submitted' | 'recovered'): Promise<SubmissionResult> {
    const recorded = await ledger.recordBrokerState(state);
    if (recorded.outcome === 'flagged' || recorded.outcome === 'unattributed') {
      report({ kind: 'event_not_applied', clientOrderId: state.clientOrderId, message: recorded.reason ?? recorded.outcome });
    }
    return {
      clientOrderId: state.clientOrderId,
      outcome,
      status: recorded.status ?? state.status,
      reason: recorded.reason,
      nextAttemptAt: null,
    };
  }

  async function defer(pending: PendingSubmission, message: string, error: unknown): Promise<SubmissionResult> {
    const attempts = pending.submitAttempts + 1;
    const nextAttemptAt = now() + backoffDelay(backoff, attempts);
    await ledger.recordSubmitFailure(pending.intent.clientOrderId, message, nextAttemptAt);
    report({ kind: 'submit_deferred', clientOrderId: pending.intent.clientOrderId, message: `${message} (attempt ${attempts}; next at ${new Date(nextAttemptAt).toISOString()})`, error });
    return { clientOrderId: pending.intent.clientOrderId, outcome: 'deferred', status: 'pending_submit', reason: message, nextAttemptAt };
  }

  async function refuse(intent: OrderIntent, error: BrokerError): Promise<SubmissionResult> {
    const reason = `${error.kind}: ${error.message}`;
    const recorded = await ledger.recordBrokerState({
      clientOrderId: intent.clientOrderId,
      brokerOrderId: null,
      symbol: intent.symbol,
      side: intent.side,
      quantity: intent.quantity,
      status: 'rejected',
      filledQuantity: 0,
      filledAvgPrice: null,
      reason,
      updatedAt: now(),
    });
    return { clientOrderId: intent.clientOrderId, outcome: 'rejected', status: recorded.status ?? 'rejected', reason, nextAttemptAt: null };
  }

  async function submitOne(pending: PendingSubmission): Promise<SubmissionResult> {
    const { intent } = pending;
    if (now() - intent.minute > expireAfterMs) return expire(pending);
    await limiter.acquire();
    let state: BrokerOrderState;
    try {
      state = await broker.submit(intent);
    } catch (error) {
      if (!(error instanceof BrokerError)) return defer(pending, `submit failed: ${String(error)}`, error);
      if (REFUSALS.has(error.kind)) return refuse(intent, error);
      if (error.kind !== 'duplicate_client_order_id') return defer(pending, `${error.kind}: ${error.message}`, error);
      // The broker has this id already: we submitted it before and crashed (or another worker did). Take its order.
      return lookUp(pending);
    }
    return record(state, 'submitted');
  }

  /** Too old to send. A previous process may have sent it before crashing: the broker's word wins. */
  async function expire(pending: PendingSubmission): Promise<SubmissionResult> {
    const { intent } = pending;
    await limiter.acquire();
    let existing: BrokerOrderState | null;
    try {
      existing = await broker.getOrder(intent.clientOrderId);
    } catch (error) {
      return defer(pending, `too old to submit, and the lookup before expiring it failed: ${String(error)}`, error);
    }
    if (existing !== null) return record(existing, 'recovered');
    const reason = `not submitted within ${Math.round(expireAfterMs / 1_000)} s of its minute`;
    const recorded = await ledger.recordBrokerState({
      clientOrderId: intent.clientOrderId,
      brokerOrderId: null,
      symbol: intent.symbol,
      side: intent.side,
      quantity: intent.quantity,
      status: 'expired',
      filledQuantity: 0,
      filledAvgPrice: null,
      reason,
      updatedAt: now(),
    });
    return { clientOrderId: intent.clientOrderId, outcome: 'expired', status: recorded.status ?? 'expired', reason, nextAttemptAt: null };
  }

  async function lookUp(pending: PendingSubmission): Promise<SubmissionResult> {
    await limiter.acquire();
    let existing: BrokerOrderState | null;
    try {
      existing = await broker.getOrder(pending.intent.clientOrderId);
    } catch (error) {
      return defer(pending, `duplicate client order id, and the lookup failed: ${String(error)}`, error);
    }
    if (existing === null) return defer(pending, 'the broker says this client order id was used but has no order with it', null);
    return record(existing, 'recovered');
  }

  function track(work: Promise<void>): void {
    const settled = work.finally(() => inFlight.delete(settled));
    inFlight.add(settled);
  }

  async function idle(): Promise<void> {
    while (inFlight.size > 0) await Promise.all([...inFlight]);
  }

  return {
    async submitPending() {
      const due = await ledger.pendingSubmissions(now(), batchSize);
      const results: SubmissionResult[] = [];
      // One at a time: the limiter paces the broker anyway, and order within a team's minute is kept.
      for (const pending of due) results.push(await submitOne(pending));
      return results;
    },

    listen() {
      if (unsubscribe.length > 0) return;
      unsubscribe = [
        broker.onFill((fill) => {
          track(
            ledger.applyFill(fill).then(
              (result) => {
                if (result.outcome !== 'applied' && result.outcome !== 'duplicate') {
                  report({ kind: 'event_not_applied', clientOrderId: fill.clientOrderId, message: `fill ${fill.executionId} ${result.outcome}: ${result.reason ?? ''}` });
                }
              },
              (error: unknown) => report({ kind: 'ledger_failed', clientOrderId: fill.clientOrderId, message: `fill ${fill.executionId} not recorded`, error }),
            ),
          );
        }),
        broker.onOrderUpdate((state) => {
          track(
            ledger.recordBrokerState(state).then(
              (result) => {
                if (result.outcome === 'flagged' || result.outcome === 'unattributed') {
                  report({ kind: 'event_not_applied', clientOrderId: state.clientOrderId, message: `order update ${state.status} ${result.outcome}: ${result.reason ?? ''}` });
                }
              },
              (error: unknown) => report({ kind: 'ledger_failed', clientOrderId: state.clientOrderId, message: `order update ${state.status} not recorded`, error }),
            ),
          );
        }),
      ];
    },

    async refreshOpenOrders() {
      const open = await ledger.openOrders();
      for (const order of open) {
        if (order.status === 'pending_submit') continue; // submitPending's job
        await limiter.acquire();
        const state = await broker.getOrder(order.intent.clientOrderId);
        if (state) await record(state, 'recovered');
        else report({ kind: 'event_not_applied', clientOrderId: order.intent.clientOrderId, message: `open (${order.status}) in the ledger, unknown to the broker` });
      }
    },

    idle,

    async close() {
      for (const stop of unsubscribe) stop();
      unsubscribe = [];
      await idle();
    },
  };
}
