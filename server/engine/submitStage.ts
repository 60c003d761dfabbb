/**
 * Stage "submit": the recorded intents that are due go to the venue in one order-router pass. With the
 * simulated venue an acceptance is pure, so every answer of the pass is recorded in one book-store batch;
 * a remote broker's answers are recorded as they come, in small batches (the router's defaults).
 */
import { embeddedCalendar, type MarketCalendar, type Session } from '../../data/market/calendar.ts';
import type { PendingSubmission } from '../ledger/ledger.ts';
import { createOrderRouter, type RateLimiter, type RouterLedger, type RouterProblem, type SubmissionResult } from '../trading/router/orderRouter.ts';
import { brokerOf, type BookStore, type Execution } from './ports.ts';

export interface SubmitStageOptions {
  books: BookStore;
  execution: Execution;
  limiter: RateLimiter;
  /** The minute's "now" (wall clock live, the minute's end when simulated). */
  now: () => number;
  /** Only these teams' intents; null: every team's. */
  teamIds: ReadonlySet<string> | null;
  onProblem?: (problem: RouterProblem) => void;
  /** The sessions the router's rule on orders near the close uses; default: the embedded NYSE calendar. */
  calendar?: MarketCalendar;
}

export const unlimited: RateLimiter = { acquire: () => Promise.resolve() };

/** A calendar that looks each date up once: the router asks it about every order, and sessions never change. */
export function memoizedCalendar(calendar: MarketCalendar): MarketCalendar {
  const sessions = new Map<string, Session | null>();
  return {
    sessionFor: (date) => {
      let session = sessions.get(date);
      if (session === undefined) {
        session = calendar.sessionFor(date);
        sessions.set(date, session);
      }
      return session;
    },
  };
}

const embeddedSessions = memoizedCalendar(embeddedCalendar);

export async function submitStage(options: SubmitStageOptions): Promise<SubmissionResult[]> {
  const { books, execution, teamIds, now } = options;
  // Netted: one pass over every team's intents, so each (minute, symbol) is one net order. A shard's own
  // pass (teamIds) leaves its intents to the minute's books job, which submits them all.
  if (execution.kind === 'netted') return teamIds === null ? execution.venue.submit(now()) : [];
  const due = (await books.pendingSubmissions(now(), 1_000_000)).filter((pending) => teamIds === null || teamIds.has(pending.intent.teamId));
  if (due.length === 0) return [];
  // One pass over exactly these intents: the router asks for its batch once.
  let batch: PendingSubmission[] | null = due;
  const passBooks: RouterLedger = {
    pendingSubmissions: () => {
      const taken = batch ?? [];
      batch = null;
      return Promise.resolve(taken);
    },
    recordBrokerState: (state) => books.recordBrokerState(state),
    recordBrokerStates: (states) => books.recordBrokerStates(states),
    applyFill: (fill) => books.applyFill(fill),
    recordSubmitFailure: (id, message, next) => books.recordSubmitFailure(id, message, next),
    openOrders: () => books.openOrders(),
  };
  const router = createOrderRouter({
    broker: brokerOf(execution),
    ledger: passBooks,
    limiter: options.limiter,
    now,
    calendar: options.calendar ?? embeddedSessions,
    batchSize: due.length,
    ...(execution.kind === 'sim' ? { recordBatchSize: due.length, recordWithinMs: Number.POSITIVE_INFINITY } : {}),
    ...(options.onProblem === undefined ? {} : { onProblem: options.onProblem }),
  });
  return router.submitPending();
}
