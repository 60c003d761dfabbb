/**
 * Alpaca's own rules as AlpacaBroker meets them on the fake: partial fills, the order events beyond
 * new/fill (pending_cancel, replaced, expired), duplicated and out-of-order stream frames, orders sent
 * after the close (queued for the next open) and day orders expiring at the close.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { PendingSubmission, RecordedBrokerState } from '../../../server/ledger/ledger.ts';
import { toMoney } from '../../../server/trading/money.ts';
import { createOrderRouter, type RouterLedger } from '../../../server/trading/router/orderRouter.ts';
import { CLOSES_BEFORE_FILL } from '../../../server/trading/router/sessionGuard.ts';
import type { BrokerOrderState } from '../../../server/trading/types.ts';
import { intent, startHarness, waitFor, type BrokerHarness } from './support.ts';

let harness: BrokerHarness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

describe('AlpacaBroker under Alpaca rules', () => {
  it('partial fills: a partial_fill then a fill, two executions with their own ids, status partially_filled then filled', async () => {
    harness = await startHarness({ fillMode: 'partial' });
    const state = await harness.broker.submit(intent({ quantity: 9 }));
    await waitFor(() => harness?.fills.length === 2, 'both executions');
    expect(harness.fills.map((fill) => [fill.quantity, fill.executionId])).toEqual([
      [4, `${String(state.brokerOrderId)}:4`],
      [5, `${String(state.brokerOrderId)}:9`],
    ]);
    await waitFor(() => harness?.updates.at(-1)?.status === 'filled', 'the filled status');
    expect(harness.updates.map((update) => update.status)).toContain('partially_filled');
  });

  it('duplicated and out-of-order frames: every execution reported once, and the order never moves backwards', async () => {
    harness = await startHarness({ fillMode: 'manual' });
    const { fake, broker } = harness;
    const state = await broker.submit(intent({ quantity: 10 }));
    await waitFor(() => harness?.updates.length === 1, 'the new order');
    fake.duplicateStreamEvents(2); // the two fills below arrive twice each…
    fake.reorderStreamEvents(1); // …and the final fill before the partial one
    fake.book.fill(state.brokerOrderId as string, { qty: 4, price: 499 });
    fake.book.fill(state.brokerOrderId as string, { qty: 6, price: 501 });
    await waitFor(() => harness !== undefined && sum(harness.fills.map((fill) => fill.quantity)) >= 10, 'the fills');
    await waitFor(() => harness?.updates.at(-1)?.status === 'filled', 'the filled status');
    await new Promise((resolve) => setTimeout(resolve, 200)); // late repeats, if any, would land now
    expect(harness.fills.map((fill) => fill.executionId).sort()).toEqual([`${String(state.brokerOrderId)}:10`, `${String(state.brokerOrderId)}:4`]);
    expect(sum(harness.fills.map((fill) => fill.quantity))).toBe(10);
    expect(broker.stats().duplicateExecutions).toBeGreaterThan(0);
    // Once filled, a late partial_fill frame does not bring the order back to partially_filled.
    expect(harness.updates.at(-1)?.status).toBe('filled');
    expect(harness.updates.filter((update) => update.status === 'filled')).toHaveLength(1);
  });

  it('pending_cancel then canceled, replaced (an end for our order; the replacement is not ours) and expired', async () => {
    harness = await startHarness({ fillMode: 'manual' });
    const { fake, broker } = harness;
    const canceled = await broker.submit(intent({ type: 'limit', limitPrice: toMoney(450), quantity: 1 }));
    const replaced = await broker.submit(intent({ symbol: 'AAPL', type: 'limit', limitPrice: toMoney(150), quantity: 2 }));
    const expired = await broker.submit(intent({ symbol: 'MSFT', type: 'limit', limitPrice: toMoney(90), quantity: 1 }));
    await broker.cancel(canceled.clientOrderId);
    const replacement = fake.book.replace(replaced.brokerOrderId as string, { limitPrice: 151 });
    fake.book.expire(expired.brokerOrderId as string);
    const finalOf = (clientOrderId: string) => harness?.updates.filter((update) => update.clientOrderId === clientOrderId).at(-1);
    await waitFor(() => finalOf(expired.clientOrderId)?.status === 'expired', 'the expiry');
    await waitFor(() => finalOf(replacement.clientOrderId) !== undefined, 'the replacement');
    expect(finalOf(canceled.clientOrderId)).toMatchObject({ status: 'canceled', reason: 'canceled at Alpaca' });
    expect(finalOf(replaced.clientOrderId)).toMatchObject({ status: 'canceled', reason: 'replaced at Alpaca by another order' });
    expect(finalOf(expired.clientOrderId)).toMatchObject({ status: 'expired', reason: 'expired at Alpaca (day order not filled by the close)' });
    // The replacement carries a client order id we never made: the ledger files it as unattributed.
    expect(finalOf(replacement.clientOrderId)).toMatchObject({ status: 'accepted', symbol: 'AAPL', quantity: 2 });
    expect(fake.streamFrames.map((frame) => frame.event)).toEqual(['new', 'new', 'new', 'pending_cancel', 'canceled', 'pending_replace', 'replaced', 'new', 'expired']);
  });

  it('an order sent after the close is accepted, waits, and fills at the next open; a day order open at the close expires', async () => {
    harness = await startHarness({ marketHours: true, now: () => Date.parse('2025-07-08T19:59:30Z') });
    const { fake, broker } = harness;
    const resting = await broker.submit(intent({ type: 'limit', limitPrice: toMoney(450), quantity: 1 }));
    expect(fake.book.orders.get(resting.brokerOrderId as string)?.status).toBe('new'); // 15:59:30: the market is open
    fake.advanceTo(Date.parse('2025-07-08T20:00:30Z'));
    await waitFor(() => harness?.updates.at(-1)?.status === 'expired', 'the expiry at the close');
    const late = await broker.submit(intent({ quantity: 2 }));
    expect(late.status).toBe('accepted');
    expect(fake.book.orders.get(late.brokerOrderId as string)?.status).toBe('accepted');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(harness.fills).toEqual([]);
    fake.advanceTo(Date.parse('2025-07-09T13:30:00Z'));
    await waitFor(() => harness?.fills.length === 1, 'the fill at the open');
    expect(harness.fills[0]).toMatchObject({ clientOrderId: late.clientOrderId, quantity: 2, at: Date.parse('2025-07-09T13:30:00Z') });
  });

  it("an order decided on the session's last minute never reaches Alpaca: the router refuses it with the reason", async () => {
    harness = await startHarness({ marketHours: true, now: () => Date.parse('2025-07-08T20:00:02Z') });
    const lastMinute = intent({ minute: Date.parse('2025-07-08T19:59:00Z') });
    const recorded: BrokerOrderState[] = [];
    const ledger = {
      pendingSubmissions: () => Promise.resolve([{ intent: lastMinute, submitAttempts: 0 } satisfies PendingSubmission]),
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
    const router = createOrderRouter({ broker: harness.broker, ledger, limiter: { acquire: () => Promise.resolve() }, now: () => Date.parse('2025-07-08T20:00:02Z') });
    const [result] = await router.submitPending();
    expect(result).toMatchObject({ outcome: 'rejected', status: 'rejected', reason: CLOSES_BEFORE_FILL });
    expect(harness.fake.count('postOrder')).toBe(0); // Alpaca would have queued it for tomorrow's open
    expect(recorded).toHaveLength(1);
  });
});
