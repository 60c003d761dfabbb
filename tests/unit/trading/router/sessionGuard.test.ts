import { describe, expect, it } from 'vitest';
import { embeddedCalendar, type MarketCalendar } from '../../../../data/market/calendar.ts';
import type { PendingSubmission, RecordedBrokerState } from '../../../../server/ledger/ledger.ts';
import { toMoney } from '../../../../server/trading/money.ts';
import { createOrderRouter, type RouterLedger } from '../../../../server/trading/router/orderRouter.ts';
import { CLOSED_BEFORE_SENT, CLOSES_BEFORE_FILL, sessionVerdict } from '../../../../server/trading/router/sessionGuard.ts';
import type { Broker, BrokerOrderState, OrderIntent } from '../../../../server/trading/types.ts';

const utc = (text: string): number => Date.parse(text);

describe('the rule for orders near the close', () => {
  it('sends an order with a minute of its session left to fill it, refuses one decided on the last minute', () => {
    // 2025-07-08: a full day, close 16:00 New York = 20:00Z.
    expect(sessionVerdict(utc('2025-07-08T19:58:00Z'), utc('2025-07-08T19:59:01Z'), calendarOf()).kind).toBe('send');
    expect(sessionVerdict(utc('2025-07-08T19:59:00Z'), utc('2025-07-08T20:00:01Z'), calendarOf())).toEqual({ kind: 'refuse', reason: CLOSES_BEFORE_FILL });
    // 2025-07-03: a half day, close 13:00 New York = 17:00Z.
    expect(sessionVerdict(utc('2025-07-03T16:59:00Z'), utc('2025-07-03T17:00:01Z'), calendarOf())).toEqual({ kind: 'refuse', reason: CLOSES_BEFORE_FILL });
    // A day without a session (Independence Day), and a pre-market minute (fills at the open, in both venues).
    expect(sessionVerdict(utc('2025-07-04T14:00:00Z'), utc('2025-07-04T14:01:00Z'), calendarOf()).kind).toBe('refuse');
    expect(sessionVerdict(utc('2025-07-08T13:00:00Z'), utc('2025-07-08T13:01:00Z'), calendarOf()).kind).toBe('send');
  });

  it('an order held back by retries past its session close is too late (looked up, then ended)', () => {
    expect(sessionVerdict(utc('2025-07-08T19:50:00Z'), utc('2025-07-08T20:00:00Z'), calendarOf())).toEqual({ kind: 'too_late', reason: CLOSED_BEFORE_SENT });
  });

  it('follows the calendar it is given (an unscheduled early close) and lets the broker decide where the calendar cannot say', () => {
    const earlyClose: MarketCalendar = { sessionFor: (date) => ({ date, open: utc(`${date}T13:30:00Z`), close: utc(`${date}T18:00:00Z`) }) };
    expect(sessionVerdict(utc('2025-07-08T17:59:00Z'), utc('2025-07-08T18:00:01Z'), earlyClose).kind).toBe('refuse');
    const unknown: MarketCalendar = {
      sessionFor: () => {
        throw new RangeError('outside the table');
      },
    };
    expect(sessionVerdict(utc('2031-07-08T19:59:00Z'), utc('2031-07-08T20:00:01Z'), unknown).kind).toBe('send');
  });
});

/** The embedded NYSE calendar (what the router uses by default). */
const calendarOf = (): MarketCalendar => embeddedCalendar;

function intentAt(minute: number, seq: number): OrderIntent {
  return {
    clientOrderId: `t-alpha-${String(minute)}-${String(seq)}`,
    teamId: 'alpha',
    minute,
    seq,
    symbol: 'SPY',
    side: 'buy',
    quantity: 1,
    type: 'market',
    limitPrice: null,
    referencePrice: toMoney(500),
    reason: null,
  };
}

describe('the order router applies the rule before any broker sees the order', () => {
  it('records the last-minute order as rejected with the reason, sends the one before it (whatever the broker: sim or Alpaca)', async () => {
    const sent: string[] = [];
    const broker = {
      name: 'recording',
      submit: (intent: OrderIntent) => {
        sent.push(intent.clientOrderId);
        return Promise.resolve({
          clientOrderId: intent.clientOrderId,
          brokerOrderId: 'b-1',
          symbol: intent.symbol,
          side: intent.side,
          quantity: intent.quantity,
          status: 'accepted',
          filledQuantity: 0,
          filledAvgPrice: null,
          reason: null,
          updatedAt: 0,
        } satisfies BrokerOrderState);
      },
      getOrder: () => Promise.resolve(null),
    } as unknown as Broker;
    const recorded: BrokerOrderState[] = [];
    const pending: PendingSubmission[] = [
      { intent: intentAt(utc('2025-07-08T19:58:00Z'), 1), submitAttempts: 0 },
      { intent: intentAt(utc('2025-07-08T19:59:00Z'), 2), submitAttempts: 0 },
    ];
    const ledger = {
      pendingSubmissions: () => Promise.resolve(pending),
      recordBrokerStates: (states: readonly BrokerOrderState[]) => {
        recorded.push(...states);
        return Promise.resolve(
          states.map((state): RecordedBrokerState => ({
            clientOrderId: state.clientOrderId,
            outcome: 'advanced',
            teamId: 'alpha',
            status: state.status,
            released: 0,
            reason: state.reason,
          })),
        );
      },
    } as unknown as RouterLedger;
    const router = createOrderRouter({ broker, ledger, limiter: { acquire: () => Promise.resolve() }, now: () => utc('2025-07-08T19:59:30Z') });
    const results = await router.submitPending();
    expect(sent).toEqual([pending[0]!.intent.clientOrderId]);
    expect(results.map((result) => [result.outcome, result.reason])).toEqual([
      ['submitted', null],
      ['rejected', CLOSES_BEFORE_FILL],
    ]);
    expect(recorded.find((state) => state.clientOrderId === pending[1]!.intent.clientOrderId)).toMatchObject({
      status: 'rejected',
      reason: CLOSES_BEFORE_FILL,
      brokerOrderId: null,
    });
  });
});
