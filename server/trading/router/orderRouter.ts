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
import { embeddedCalendar, type MarketCalendar } from '../../../data/market/calendar.ts';
import type { Ledger, PendingSubmission, RecordedBrokerState } from '../../ledger/ledger.ts';
import { BrokerError, type Broker, type BrokerOrderState, type OrderIntent, type OrderStatus } from '../types.ts';
import { sessionVerdict } from './sessionGuard.ts';
import { brokerStateOf } from '../orders/brokerState.ts';

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
export type RouterLedger = Pick<Ledger, 'pendingSubmissions' | 'recordBrokerState' | 'recordBrokerStates' | 'applyFill' | 'recordSubmitFailure' | 'openOrders'>;

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
   * The broker's answers are recorded in the ledger in batches (one transaction each): after this many
   * answers (default 100), or once the oldest unrecorded answer is `recordWithinMs` old (default 1 s, wall
   * clock: with a remote broker an answer never waits long), and at the end of the pass. An answer lost
   * to a crash before it is recorded costs a lookup on the next pass, never a second order.
   */
  recordBatchSize?: number;
  recordWithinMs?: number;
  /**
   * An intent still unsent this long after its minute is not sent any more (a market order from before an
   * outage would trade on stale information): unless the broker turns out to have it, it is recorded as
   * expired and its reservation released. Default 5 minutes.
   */
  expireAfterMs?: number;
  /**
   * The market's sessions, for the rule on orders near the close (sessionGuard.ts): an order decided on
   * its session's last minute is refused before it is sent, whichever the broker. Default: the embedded
   * NYSE calendar.
   */
  calendar?: MarketCalendar;
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

/** A broker state to record, and how to report the submission once recorded. */
interface Recording {
  kind: 'record';
  state: BrokerOrderState;
  finish: (recorded: RecordedBrokerState) => SubmissionResult;
}

/** What one pending intent came to: a state to record, or a result already settled (deferred). */
type Attempt = Recording | { kind: 'settled'; result: SubmissionResult };

const REFUSALS: ReadonlySet<BrokerError['kind']> = new Set(['rejected', 'insufficient_buying_power', 'wash_trade']);

export function createOrderRouter(options: OrderRouterOptions): OrderRouter {
  const { broker, ledger, limiter } = options;
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  const now = options.now ?? Date.now;
  const batchSize = options.batchSize ?? 1_000;
  const recordBatchSize = Math.max(1, options.recordBatchSize ?? 100);
  const recordWithinMs = options.recordWithinMs ?? 1_000;
  const expireAfterMs = options.expireAfterMs ?? 5 * 60_000;
  const calendar = options.calendar ?? embeddedCalendar;
  const report = options.onProblem ?? (() => undefined);
  const inFlight = new Set<Promise<void>>();
  let unsubscribe: (() => void)[] = [];

  function answer(state: BrokerOrderState, outcome: 'submitted' | 'recovered'): Recording {
    return {
      kind: 'record',
      state,
      finish: (recorded) => ({ clientOrderId: state.clientOrderId, outcome, status: recorded.status ?? state.status, reason: recorded.reason, nextAttemptAt: null }),
    };
  }

  /** Records the answers in one ledger transaction, reporting those the ledger would not apply. */
  async function recordAll(attempts: readonly Recording[]): Promise<SubmissionResult[]> {
    if (attempts.length === 0) return [];
    const recorded = await ledger.recordBrokerStates(attempts.map((attempt) => attempt.state));
    return attempts.map((attempt, index) => {
      const result = recorded[index]!;
      if (result.outcome === 'flagged' || result.outcome === 'unattributed') {
        report({ kind: 'event_not_applied', clientOrderId: attempt.state.clientOrderId, message: result.reason ?? result.outcome });
      }
      return attempt.finish(result);
    });
  }

  async function defer(pending: PendingSubmission, message: string, error: unknown): Promise<Attempt> {
    const attempts = pending.submitAttempts + 1;
    const nextAttemptAt = now() + backoffDelay(backoff, attempts);
    await ledger.recordSubmitFailure(pending.intent.clientOrderId, message, nextAttemptAt);
    report({
      kind: 'submit_deferred',
      clientOrderId: pending.intent.clientOrderId,
      message: `${message} (attempt ${attempts}; next at ${new Date(nextAttemptAt).toISOString()})`,
      error,
    });
    return { kind: 'settled', result: { clientOrderId: pending.intent.clientOrderId, outcome: 'deferred', status: 'pending_submit', reason: message, nextAttemptAt } };
  }

  /** An end we decide ourselves (refused by the broker, or too old to send), recorded like a broker state. */
  function ending(intent: OrderIntent, status: 'rejected' | 'expired', outcome: 'rejected' | 'expired', reason: string): Recording {
    return {
      kind: 'record',
      state: brokerStateOf(intent, { brokerOrderId: null, status, filledQuantity: 0, filledAvgPrice: null, reason, updatedAt: now() }),
      finish: (recorded) => ({ clientOrderId: intent.clientOrderId, outcome, status: recorded.status ?? status, reason, nextAttemptAt: null }),
    };
  }

  async function submitOne(pending: PendingSubmission): Promise<Attempt> {
    const { intent } = pending;
    const verdict = sessionVerdict(intent.minute, now(), calendar);
    if (verdict.kind === 'refuse') return ending(intent, 'rejected', 'rejected', verdict.reason);
    if (verdict.kind === 'too_late') return expire(pending, verdict.reason);
    if (now() - intent.minute > expireAfterMs) return expire(pending, `not submitted within ${Math.round(expireAfterMs / 1_000)} s of its minute`);
    await limiter.acquire();
    let state: BrokerOrderState;
    try {
      state = await broker.submit(intent);
    } catch (error) {
      if (!(error instanceof BrokerError)) return defer(pending, `submit failed: ${String(error)}`, error);
      if (REFUSALS.has(error.kind)) return ending(intent, 'rejected', 'rejected', `${error.kind}: ${error.message}`);
      if (error.kind !== 'duplicate_client_order_id') return defer(pending, `${error.kind}: ${error.message}`, error);
      // The broker has this id already: we submitted it before and crashed (or another worker did). Take its order.
      return lookUp(pending);
    }
    return answer(state, 'submitted');
  }

  /** Too late to send. A previous process may have sent it before crashing: the broker's word wins. */
  async function expire(pending: PendingSubmission, reason: string): Promise<Attempt> {
    const { intent } = pending;
    await limiter.acquire();
    let existing: BrokerOrderState | null;
    try {
      existing = await broker.getOrder(intent.clientOrderId);
    } catch (error) {
      return defer(pending, `too late to submit (${reason}), and the lookup before ending it failed: ${String(error)}`, error);
    }
    if (existing !== null) return answer(existing, 'recovered');
    return ending(intent, 'expired', 'expired', reason);
  }

  async function lookUp(pending: PendingSubmission): Promise<Attempt> {
    await limiter.acquire();
    let existing: BrokerOrderState | null;
    try {
      existing = await broker.getOrder(pending.intent.clientOrderId);
    } catch (error) {
      return defer(pending, `duplicate client order id, and the lookup failed: ${String(error)}`, error);
    }
    if (existing === null) return defer(pending, 'the broker says this client order id was used but has no order with it', null);
    return answer(existing, 'recovered');
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
      const results: SubmissionResult[] = new Array<SubmissionResult>(due.length);
      let unrecorded: Array<{ index: number; attempt: Recording }> = [];
      let oldest = 0;
      const flush = async () => {
        const batch = unrecorded;
        unrecorded = [];
        const recorded = await recordAll(batch.map((entry) => entry.attempt));
        batch.forEach((entry, position) => (results[entry.index] = recorded[position]!));
      };
      // One broker request at a time: the limiter paces the broker anyway, and order within a team's minute is kept.
      for (const [index, pending] of due.entries()) {
        const attempt = await submitOne(pending);
        if (attempt.kind === 'settled') {
          results[index] = attempt.result;
          continue;
        }
        if (unrecorded.length === 0) oldest = performance.now();
        unrecorded.push({ index, attempt });
        if (unrecorded.length >= recordBatchSize || performance.now() - oldest >= recordWithinMs) await flush();
      }
      await flush();
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
      const found: Recording[] = [];
      try {
        for (const order of open) {
          if (order.status === 'pending_submit') continue; // submitPending's job
          await limiter.acquire();
          const state = await broker.getOrder(order.intent.clientOrderId);
          if (state) found.push(answer(state, 'recovered'));
          else report({ kind: 'event_not_applied', clientOrderId: order.intent.clientOrderId, message: `open (${order.status}) in the ledger, unknown to the broker` });
        }
      } catch (error) {
        // What was found before the broker failed is still worth recording.
        await recordAll(found);
        throw error;
      }
      await recordAll(found);
    },

    idle,

    async close() {
      for (const stop of unsubscribe) stop();
      unsubscribe = [];
      await idle();
    },
  };
}
