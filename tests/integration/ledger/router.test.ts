import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLedger } from '../../../server/ledger/ledger.ts';
import { backoffDelay, createOrderRouter, type OrderRouterOptions, type RateLimiter, type RouterProblem } from '../../../server/trading/router/orderRouter.ts';
import { MemoryBroker } from './memoryBroker.ts';
import { DOLLAR, intentFor, MINUTE, openLedgerDatabase, STARTING_CASH, type LedgerDatabase } from './support.ts';

/** Counts permits, and can hold every caller until opened. */
class GateLimiter implements RateLimiter {
  permits = 0;
  waiting = 0;
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => undefined;

  close(): void {
    this.#gate = new Promise((resolve) => (this.#open = resolve));
  }

  open(): void {
    this.#open();
    this.#gate = Promise.resolve();
  }

  async acquire(): Promise<void> {
    this.waiting += 1;
    await this.#gate;
    this.waiting -= 1;
    this.permits += 1;
  }
}

let db: LedgerDatabase;
let broker: MemoryBroker;
let limiter: GateLimiter;
let problems: RouterProblem[];
let clock: number;

function router(overrides: Partial<OrderRouterOptions> = {}) {
  return createOrderRouter({
    broker,
    ledger: db.ledger,
    limiter,
    now: () => clock,
    backoff: { baseMs: 1_000, maxMs: 8_000 },
    onProblem: (problem) => problems.push(problem),
    ...overrides,
  });
}

beforeEach(async () => {
  db = await openLedgerDatabase();
  await db.addTeam('alpha');
  broker = new MemoryBroker();
  limiter = new GateLimiter();
  problems = [];
  clock = MINUTE + 60_000;
});
afterEach(async () => {
  await db.close();
});

describe('submitting intents', () => {
  it('submits only intents already durable in Postgres, and records the broker state', async () => {
    const seen: string[] = [];
    broker.beforeSubmit = async (intent) => {
      const { rows } = await db.openPool().query<{ status: string }>('SELECT status FROM orders WHERE client_order_id = $1', [intent.clientOrderId]);
      seen.push(`${intent.clientOrderId}:${rows[0]?.status ?? 'absent'}`);
    };
    const intents = [intentFor('alpha', 1), intentFor('alpha', 2, { symbol: 'QQQ', quantity: 2 })];
    await db.ledger.recordIntents(intents);
    const results = await router().submitPending();
    expect(seen).toEqual(intents.map((i) => `${i.clientOrderId}:pending_submit`));
    expect(results.map((r) => [r.outcome, r.status])).toEqual([
      ['submitted', 'accepted'],
      ['submitted', 'accepted'],
    ]);
    expect(await db.ledger.getOrder(intents[0]!.clientOrderId)).toMatchObject({ status: 'accepted', brokerOrderId: 'mem-1' });
    expect(await db.ledger.pendingSubmissions(clock)).toEqual([]);
  });

  it('takes a permit for every broker request, and sends nothing while the limiter holds', async () => {
    await db.ledger.recordIntents([intentFor('alpha', 1), intentFor('alpha', 2)]);
    limiter.close();
    const running = router().submitPending();
    await vi.waitFor(() => expect(limiter.waiting).toBe(1));
    expect(broker.calls).toEqual([]);
    limiter.open();
    await running;
    expect(broker.calls).toHaveLength(2);
    expect(limiter.permits).toBe(broker.calls.length);
  });

  it('a retried tick neither duplicates the intents nor submits twice', async () => {
    const intents = [intentFor('alpha', 1)];
    await db.ledger.recordIntents(intents);
    await router().submitPending();
    expect((await db.ledger.recordIntents(intents))[0]?.outcome).toBe('already_recorded');
    expect(await router().submitPending()).toEqual([]);
    expect(broker.calls).toEqual([`submit ${intents[0]!.clientOrderId}`]);
    expect(broker.orders.size).toBe(1);
  });

  it('after a crash between submit and recording, a new router on the same database finds the order instead of duplicating it', async () => {
    const intent = intentFor('alpha', 1);
    await db.ledger.recordIntents([intent]);
    // The previous process submitted, then died before recording the answer.
    await broker.submit(intent);
    const restarted = createLedger(db.openPool());
    const results = await router({ ledger: restarted }).submitPending();
    expect(results).toEqual([{ clientOrderId: intent.clientOrderId, outcome: 'recovered', status: 'accepted', reason: null, nextAttemptAt: null }]);
    expect(broker.orders.size).toBe(1);
    expect(broker.calls).toEqual([`submit ${intent.clientOrderId}`, `submit ${intent.clientOrderId}`, `get ${intent.clientOrderId}`]);
    expect(await restarted.getOrder(intent.clientOrderId)).toMatchObject({ status: 'accepted', brokerOrderId: 'mem-1', reservedQuantity: 10 });
  });

  it('two workers submitting the same pending intents at once create one order per id', async () => {
    const intents = [1, 2, 3].map((seq) => intentFor('alpha', seq, { quantity: seq }));
    await db.ledger.recordIntents(intents);
    const second = createLedger(db.openPool());
    const [a, b] = await Promise.all([router().submitPending(), router({ ledger: second }).submitPending()]);
    expect(broker.orders.size).toBe(3);
    for (const intent of intents) expect(await db.ledger.getOrder(intent.clientOrderId)).toMatchObject({ status: 'accepted' });
    expect([...a, ...b].every((r) => r.outcome === 'submitted' || r.outcome === 'recovered')).toBe(true);
  });

  it('leaves an intent pending with back-off when the broker is unavailable, then submits it once due', async () => {
    const intent = intentFor('alpha', 1);
    await db.ledger.recordIntents([intent]);
    broker.failNextSubmit('unavailable', 'HTTP 503');
    broker.failNextSubmit('rate_limited', 'HTTP 429');
    const first = await router().submitPending();
    expect(first).toEqual([{ clientOrderId: intent.clientOrderId, outcome: 'deferred', status: 'pending_submit', reason: 'unavailable: HTTP 503', nextAttemptAt: clock + 1_000 }]);
    expect(await router().submitPending()).toEqual([]); // not due yet
    clock += 1_000;
    expect((await router().submitPending())[0]).toMatchObject({ outcome: 'deferred', nextAttemptAt: clock + 2_000 });
    expect(await db.ledger.getOrder(intent.clientOrderId)).toMatchObject({ status: 'pending_submit', submitAttempts: 2, lastSubmitError: 'rate_limited: HTTP 429' });
    clock += 2_000;
    expect((await router().submitPending())[0]).toMatchObject({ outcome: 'submitted', status: 'accepted' });
    expect(broker.orders.size).toBe(1);
    expect(problems.map((p) => p.kind)).toEqual(['submit_deferred', 'submit_deferred']);
  });

  it('a timeout after the broker created the order is resolved on retry by looking it up: one order', async () => {
    const intent = intentFor('alpha', 1);
    await db.ledger.recordIntents([intent]);
    broker.failNextSubmit('unavailable', 'timed out after 10000 ms', true);
    expect((await router().submitPending())[0]?.outcome).toBe('deferred');
    clock += 1_000;
    expect((await router().submitPending())[0]).toMatchObject({ outcome: 'recovered', status: 'accepted' });
    expect(broker.orders.size).toBe(1);
  });

  it.each([
    ['wash_trade', 'potential wash trade detected'],
    ['insufficient_buying_power', 'insufficient buying power'],
    ['rejected', 'asset XYZ is not tradable'],
  ] as const)('records a %s refusal as rejected with its reason and releases the reservation', async (kind, message) => {
    const intent = intentFor('alpha', 1);
    await db.ledger.recordIntents([intent]);
    expect((await db.ledger.loadBook('alpha'))?.reservedCash).toBe(10 * 100 * DOLLAR);
    broker.failNextSubmit(kind, message);
    const [result] = await router().submitPending();
    expect(result).toMatchObject({ outcome: 'rejected', status: 'rejected', reason: `${kind}: ${message}` });
    expect(await db.ledger.getOrder(intent.clientOrderId)).toMatchObject({ status: 'rejected', brokerReason: `${kind}: ${message}`, reservedQuantity: 0 });
    expect((await db.ledger.loadBook('alpha'))?.reservedCash).toBe(0);
    expect(await router().submitPending()).toEqual([]);
    expect(broker.orders.size).toBe(0);
  });

  it('does not send an intent that waited past expireAfterMs: expired and released, unless the broker already has it', async () => {
    const stale = intentFor('alpha', 1);
    const sentBeforeCrash = intentFor('alpha', 2);
    await db.ledger.recordIntents([stale, sentBeforeCrash]);
    await broker.submit(sentBeforeCrash);
    clock = MINUTE + 10 * 60_000;
    const results = await router({ expireAfterMs: 5 * 60_000 }).submitPending();
    expect(results.map((r) => [r.clientOrderId, r.outcome, r.status])).toEqual([
      [stale.clientOrderId, 'expired', 'expired'],
      [sentBeforeCrash.clientOrderId, 'recovered', 'accepted'],
    ]);
    expect(broker.calls.filter((call) => call.startsWith('submit'))).toEqual([`submit ${sentBeforeCrash.clientOrderId}`]);
    expect(await db.ledger.getOrder(stale.clientOrderId)).toMatchObject({ status: 'expired', reservedQuantity: 0, brokerReason: 'not submitted within 300 s of its minute' });
    expect((await db.ledger.loadBook('alpha'))?.reservedCash).toBe(10 * 100 * DOLLAR);
  });

  it('records the answers of a pass in batches, results in the order of the intents, a deferral in between kept', async () => {
    const intents = [1, 2, 3, 4, 5].map((seq) => intentFor('alpha', seq, { quantity: 1 }));
    await db.ledger.recordIntents(intents);
    const batches: string[][] = [];
    const counting = {
      ...db.ledger,
      recordBrokerStates: (states: Parameters<typeof db.ledger.recordBrokerStates>[0]) => {
        batches.push(states.map((state) => state.clientOrderId));
        return db.ledger.recordBrokerStates(states);
      },
    };
    broker.beforeSubmit = (intent) => {
      if (intent.seq === 3) broker.failNextSubmit('unavailable', 'HTTP 503');
      return Promise.resolve();
    };
    const results = await router({ ledger: counting, recordBatchSize: 2, recordWithinMs: Number.POSITIVE_INFINITY }).submitPending();
    expect(results.map((r) => [r.clientOrderId, r.outcome])).toEqual(intents.map((intent) => [intent.clientOrderId, intent.seq === 3 ? 'deferred' : 'submitted']));
    const ids = intents.map((intent) => intent.clientOrderId);
    expect(batches).toEqual([
      [ids[0], ids[1]],
      [ids[3], ids[4]],
    ]);
    broker.beforeSubmit = null;
    clock += 1_000;
    const all = await router({ ledger: counting }).submitPending();
    expect(all.map((r) => r.outcome)).toEqual(['submitted']);
    expect(batches).toHaveLength(3);
    for (const intent of intents) expect(await db.ledger.getOrder(intent.clientOrderId)).toMatchObject({ status: 'accepted' });
  });

  it('the back-off doubles up to its ceiling', () => {
    const policy = { baseMs: 1_000, maxMs: 8_000 };
    expect([1, 2, 3, 4, 5, 40].map((n) => backoffDelay(policy, n))).toEqual([1_000, 2_000, 4_000, 8_000, 8_000, 8_000]);
  });
});

describe('broker events', () => {
  it('applies streamed fills once, redeliveries included, and a cancel releases the rest once', async () => {
    const intent = intentFor('alpha', 1);
    await db.ledger.recordIntents([intent]);
    const live = router();
    live.listen();
    await live.submitPending();
    const first = broker.execute(intent.clientOrderId, 4, 100_5000);
    broker.deliverFill(first);
    broker.execute(intent.clientOrderId, 2, 100_2500);
    broker.deliverFill(first);
    await broker.cancel(intent.clientOrderId);
    await live.close();
    const book = await db.ledger.loadBook('alpha');
    expect(book).toEqual({
      teamId: 'alpha',
      cash: STARTING_CASH - 4 * 100_5000 - 2 * 100_2500,
      reservedCash: 0,
      positions: { SPY: { quantity: 6, costBasis: 4 * 100_5000 + 2 * 100_2500, realizedPnl: 0 } },
      realizedPnl: 0,
      pendingSell: {},
    });
    expect(await db.ledger.getOrder(intent.clientOrderId)).toMatchObject({ status: 'canceled', filledQuantity: 6, appliedQuantity: 6, reservedQuantity: 0 });
    expect((await db.ledger.listFills('alpha')).map((f) => f.executionId)).toEqual(['exec-1', 'exec-2']);
    expect(problems).toEqual([]);
  });

  it('flags a streamed fill for an order that is not ours and reports it', async () => {
    const live = router();
    live.listen();
    broker.orders.set('manual-1', {
      clientOrderId: 'manual-1',
      brokerOrderId: 'mem-x',
      symbol: 'SPY',
      side: 'buy',
      quantity: 1,
      status: 'accepted',
      filledQuantity: 0,
      filledAvgPrice: null,
      reason: null,
      updatedAt: clock,
    });
    broker.execute('manual-1', 1, 100 * DOLLAR);
    await live.close();
    expect(problems.map((p) => [p.kind, p.clientOrderId])).toEqual([
      ['event_not_applied', 'manual-1'],
      ['event_not_applied', 'manual-1'],
    ]);
    expect((await db.ledger.listUnattributed()).map((e) => e.kind).sort()).toEqual(['fill', 'order']);
    expect((await db.ledger.loadBook('alpha'))?.positions).toEqual({});
  });

  it('refreshOpenOrders records what happened while nobody was listening', async () => {
    const intent = intentFor('alpha', 1);
    await db.ledger.recordIntents([intent]);
    await router().submitPending();
    await broker.cancel(intent.clientOrderId); // no listener attached: the update is lost
    expect(await db.ledger.getOrder(intent.clientOrderId)).toMatchObject({ status: 'accepted' });
    await router().refreshOpenOrders();
    expect(await db.ledger.getOrder(intent.clientOrderId)).toMatchObject({ status: 'canceled', reservedQuantity: 0 });
    expect((await db.ledger.loadBook('alpha'))?.reservedCash).toBe(0);
  });
});
