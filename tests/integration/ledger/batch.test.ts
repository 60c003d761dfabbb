/**
 * The batch calls (`applyFills`, `recordBrokerStates`) against the single-event ones: the same inputs
 * give the same results, books, orders, fills and flags; an execution id repeated inside a batch or
 * across concurrent batches is applied once; overlapping batches from several pools never deadlock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger, type Ledger } from '../../../server/ledger/ledger.ts';
import type { BrokerOrderState, Fill, OrderIntent } from '../../../server/trading/types.ts';
import { DOLLAR, fillFor, intentFor, MINUTE, openLedgerDatabase, STARTING_CASH, type LedgerDatabase, seededRandom as random } from './support.ts';

function stateOf(intent: OrderIntent, overrides: Partial<BrokerOrderState> = {}): BrokerOrderState {
  return {
    clientOrderId: intent.clientOrderId,
    brokerOrderId: `b-${intent.clientOrderId}`,
    symbol: intent.symbol,
    side: intent.side,
    quantity: intent.quantity,
    status: 'accepted',
    filledQuantity: 0,
    filledAvgPrice: null,
    reason: null,
    updatedAt: intent.minute + 1_000,
    ...overrides,
  };
}

type Event = { kind: 'fill'; fill: Fill } | { kind: 'state'; state: BrokerOrderState };

const TEAMS = ['eq-a', 'eq-b', 'eq-c'];

/**
 * A seeded mix over two minutes: acceptances, partial and whole fills, fills delivered twice, cancels
 * overtaking fills, stale states, overfills, fills the book cannot take, contradicting and foreign events.
 */
function scenario(seed: number, base: number): { minute1: OrderIntent[]; minute2: OrderIntent[]; events1: Event[]; events2: Event[] } {
  const rand = random(seed);
  const int = (low: number, high: number) => low + Math.floor(rand() * (high - low + 1));
  let executions = 0;
  const eventsFor = (intents: readonly OrderIntent[]): Event[] => {
    const events: Event[] = [];
    for (const intent of intents) {
      events.push({ kind: 'state', state: stateOf(intent) });
      const fate = int(0, 5);
      let filled = 0;
      const fill = (quantity: number, price = intent.referencePrice + int(-500, 500)): Fill => {
        executions += 1;
        filled += quantity;
        return { ...fillFor(intent, `s${seed}-ex-${executions}`, quantity, price), at: intent.minute + 60_000 + executions };
      };
      if (fate === 0) {
        const f = fill(intent.quantity);
        events.push({ kind: 'fill', fill: f }, { kind: 'fill', fill: f }, { kind: 'state', state: stateOf(intent, { status: 'filled', filledQuantity: intent.quantity }) });
      } else if (fate === 1) {
        const part = int(1, intent.quantity - 1 || 1);
        events.push({ kind: 'state', state: stateOf(intent, { status: 'canceled', filledQuantity: part, reason: 'canceled' }) });
        events.push({ kind: 'fill', fill: fill(part) });
        events.push({ kind: 'state', state: stateOf(intent, { status: 'accepted' }) });
      } else if (fate === 2) {
        events.push({ kind: 'fill', fill: fill(intent.quantity + 1) }); // overfill: refused
        events.push({ kind: 'fill', fill: fill(1, 1_000_000 * DOLLAR) }); // beyond the cash (or fine for a sell)
        events.push({ kind: 'state', state: stateOf(intent, { status: 'expired' }) });
      } else if (fate === 3) {
        events.push({ kind: 'fill', fill: { ...fill(1), side: intent.side === 'buy' ? 'sell' : 'buy' } }); // contradicts
        events.push({ kind: 'state', state: stateOf(intent, { symbol: 'ZZZ', status: 'canceled' }) }); // contradicts
        events.push({ kind: 'state', state: stateOf(intent, { status: 'rejected', reason: 'wash_trade' }) });
      } else {
        const first = fill(int(1, intent.quantity));
        events.push(
          { kind: 'fill', fill: first },
          { kind: 'state', state: stateOf(intent, { status: 'partially_filled', filledQuantity: filled }) },
          { kind: 'fill', fill: first },
        );
      }
    }
    events.push({ kind: 'fill', fill: { ...fillFor(intents[0]!, `s${seed}-foreign`, 1, DOLLAR), clientOrderId: 'web-order-1' } });
    events.push({ kind: 'state', state: stateOf(intentFor('nobody', 9, {}, base)) });
    // Shuffle, keeping the stream realistic enough: anything may overtake anything.
    for (let i = events.length - 1; i > 0; i -= 1) {
      const j = Math.floor(rand() * (i + 1));
      [events[i], events[j]] = [events[j]!, events[i]!];
    }
    return events;
  };
  const minute1 = TEAMS.flatMap((team) =>
    [1, 2, 3].map((seq) => intentFor(team, seq, { quantity: int(2, 20), symbol: seq === 3 ? 'QQQ' : 'SPY', referencePrice: int(95, 105) * DOLLAR }, base)),
  );
  const minute2 = TEAMS.flatMap((team) => [
    intentFor(team, 1, { side: 'sell', quantity: int(1, 3), symbol: 'SPY' }, base + 60_000),
    intentFor(team, 2, { quantity: int(1, 5) }, base + 60_000),
  ]);
  return { minute1, minute2, events1: eventsFor(minute1), events2: eventsFor(minute2) };
}

/** Everything the ledger holds, without the rows' wall-clock times and serial ids. */
async function contents(db: LedgerDatabase) {
  const orders = (await db.pool.query<{ client_order_id: string }>('SELECT client_order_id FROM orders ORDER BY client_order_id')).rows;
  const fills = await Promise.all(TEAMS.map((team) => db.ledger.listFills(team)));
  const { rows: flags } = await db.pool.query(
    'SELECT event_key, kind, client_order_id, broker_order_id, execution_id, reason, payload FROM unattributed_broker_events ORDER BY event_key',
  );
  const { rows: brokerTimes } = await db.pool.query('SELECT client_order_id, broker_updated_at, next_attempt_at FROM orders ORDER BY client_order_id');
  return {
    books: await db.ledger.loadBooks(),
    orders: await Promise.all(
      orders.map(async (row) => {
        const order = await db.ledger.getOrder(row.client_order_id);
        return { ...order, createdAt: 0, updatedAt: 0 };
      }),
    ),
    brokerTimes,
    fills,
    flags,
    audit: await db.ledger.auditBooks(),
  };
}

/** Consecutive events of one kind, as the batches a caller would form. */
function runs(events: readonly Event[]): Event[][] {
  const batches: Event[][] = [];
  for (const event of events) {
    const last = batches.at(-1);
    if (last !== undefined && last[0]!.kind === event.kind) last.push(event);
    else batches.push([event]);
  }
  return batches;
}

async function applyOneByOne(ledger: Ledger, events: readonly Event[]): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const event of events) results.push(event.kind === 'fill' ? await ledger.applyFill(event.fill) : await ledger.recordBrokerState(event.state));
  return results;
}

async function applyInBatches(ledger: Ledger, events: readonly Event[]): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const batch of runs(events)) {
    if (batch[0]!.kind === 'fill') results.push(...(await ledger.applyFills(batch.map((event) => (event as Extract<Event, { kind: 'fill' }>).fill))));
    else results.push(...(await ledger.recordBrokerStates(batch.map((event) => (event as Extract<Event, { kind: 'state' }>).state))));
  }
  return results;
}

describe('a batch equals the same events one by one', () => {
  let sequential: LedgerDatabase;
  let batched: LedgerDatabase;

  beforeAll(async () => {
    [sequential, batched] = await Promise.all([openLedgerDatabase(), openLedgerDatabase()]);
  });
  afterAll(async () => {
    await Promise.all([sequential?.close(), batched?.close()]);
  });

  it.each([1, 2, 3])('seed %i: results, books, orders, fills and flags are identical', async (seed) => {
    if (seed === 1) for (const team of TEAMS) await Promise.all([sequential.addTeam(team), batched.addTeam(team)]);
    const { minute1, minute2, events1, events2 } = scenario(seed * 7_919, MINUTE + seed * 10 * 60_000);
    for (const db of [sequential, batched]) await db.ledger.recordIntents(minute1);
    const oneByOne = await applyOneByOne(sequential.ledger, events1);
    expect(await applyInBatches(batched.ledger, events1)).toEqual(oneByOne);
    for (const db of [sequential, batched]) await db.ledger.recordIntents(minute2);
    const oneByOne2 = await applyOneByOne(sequential.ledger, events2);
    expect(await applyInBatches(batched.ledger, events2)).toEqual(oneByOne2);

    const outcomes = new Set([...oneByOne, ...oneByOne2].map((result) => (result as { outcome: string }).outcome));
    expect([...outcomes]).toEqual(expect.arrayContaining(['advanced', 'applied', 'duplicate', 'flagged', 'refused', 'stale', 'unattributed']));
    const [a, b] = await Promise.all([contents(sequential), contents(batched)]);
    expect(b).toEqual(a);
    expect(a.audit).toEqual([]);
  });
});

describe('duplicates and concurrency', () => {
  let db: LedgerDatabase;

  beforeAll(async () => {
    db = await openLedgerDatabase();
  });
  afterAll(async () => {
    await db?.close();
  });

  it('an execution repeated inside one batch is applied once; states inside one batch move forward and release once', async () => {
    await db.addTeam('dup-in');
    const buy = intentFor('dup-in', 1, { quantity: 10 });
    const other = intentFor('dup-in', 2, { quantity: 6 });
    await db.ledger.recordIntents([buy, other]);
    const f1 = fillFor(buy, 'din-1', 4, 100 * DOLLAR);
    const f2 = fillFor(buy, 'din-2', 6, 101 * DOLLAR);
    const results = await db.ledger.applyFills([f1, f1, f2, f1, f2]);
    expect(results.map((r) => r.outcome)).toEqual(['applied', 'duplicate', 'applied', 'duplicate', 'duplicate']);
    const book = await db.ledger.loadBook('dup-in');
    expect(book).toMatchObject({ cash: STARTING_CASH - 400 * DOLLAR - 606 * DOLLAR, reservedCash: 6 * 100 * DOLLAR, positions: { SPY: { quantity: 10 } } });
    const canceled = stateOf(other, { status: 'canceled', updatedAt: other.minute + 9_000 });
    const states = await db.ledger.recordBrokerStates([stateOf(other), canceled, canceled, stateOf(other)]);
    expect(states.map((s) => [s.outcome, s.status, s.released])).toEqual([
      ['advanced', 'accepted', 0],
      ['advanced', 'canceled', 6],
      ['stale', 'canceled', 0],
      ['stale', 'canceled', 0],
    ]);
    expect((await db.ledger.loadBook('dup-in'))?.reservedCash).toBe(0);
    expect(await db.ledger.getOrder(other.clientOrderId)).toMatchObject({ status: 'canceled', brokerOrderId: `b-${other.clientOrderId}`, reservedQuantity: 0 });
    expect(await db.ledger.auditBooks()).toEqual([]);
  });

  it('overlapping batches from three pools, teams in opposite orders, apply every execution once and never deadlock', async () => {
    const teams = ['ov-a', 'ov-b', 'ov-c', 'ov-d'];
    for (const team of teams) await db.addTeam(team);
    const intents = teams.flatMap((team) => [1, 2, 3].map((seq) => intentFor(team, seq, { quantity: 9 })));
    await db.ledger.recordIntents(intents);
    const fills = intents.flatMap((intent) => [1, 2, 3].map((n) => fillFor(intent, `ov-${intent.clientOrderId}-${n}`, 3, (100 + n) * DOLLAR)));
    const ledgers = [db.ledger, createLedger(db.openPool()), createLedger(db.openPool())];
    const forward = fills;
    const backward = [...fills].reverse();
    const odd = fills.filter((_, index) => index % 2 === 1);
    const results = await Promise.all([
      ledgers[0]!.applyFills(forward),
      ledgers[1]!.applyFills(backward),
      ledgers[2]!.applyFills(odd),
      ...fills.slice(0, 6).map((fill, index) => ledgers[index % 3]!.applyFill(fill)),
    ]);
    const all = results.flat();
    expect(all.filter((r) => r.outcome === 'applied')).toHaveLength(fills.length);
    expect(all.filter((r) => r.outcome === 'duplicate')).toHaveLength(all.length - fills.length);
    for (const fill of fills) expect(all.filter((r) => r.executionId === fill.executionId && r.outcome === 'applied')).toHaveLength(1);
    // Fills already finished these orders: a late 'accepted' is stale everywhere.
    const late = await ledgers[1]!.recordBrokerStates(intents.map((intent) => stateOf(intent)));
    expect(late.map((r) => [r.outcome, r.status])).toEqual(intents.map(() => ['stale', 'filled']));
    // New orders canceled by two batches at once, in opposite team orders: each reservation released once.
    const more = teams.map((team) => intentFor(team, 4, { quantity: 5 }));
    await db.ledger.recordIntents(more);
    const cancels = more.map((intent) => stateOf(intent, { status: 'canceled' }));
    const stateResults = await Promise.all([
      ledgers[0]!.recordBrokerStates(cancels),
      ledgers[1]!.recordBrokerStates([...cancels].reverse()),
      ledgers[2]!.recordBrokerStates(cancels.slice(1)),
    ]);
    for (const intent of more) {
      const released = stateResults
        .flat()
        .filter((r) => r.clientOrderId === intent.clientOrderId)
        .map((r) => r.released);
      expect(released.reduce((sum, n) => sum + n, 0)).toBe(5);
    }
    for (const team of teams) expect(await db.ledger.loadBook(team)).toMatchObject({ reservedCash: 0, positions: { SPY: { quantity: 27 } } });
    expect(await db.ledger.auditBooks()).toEqual([]);
  });

  it('one execution id reused by a broker for orders of two teams is applied once, whichever batch wins', async () => {
    for (let round = 0; round < 5; round += 1) {
      const [x, y] = [`reuse-x${round}`, `reuse-y${round}`];
      await db.addTeam(x);
      await db.addTeam(y);
      const buyX = intentFor(x, 1, { quantity: 2 });
      const buyY = intentFor(y, 1, { quantity: 2 });
      await db.ledger.recordIntents([buyX, buyY]);
      const other = createLedger(db.openPool());
      const [a, b] = await Promise.all([
        db.ledger.applyFills([fillFor(buyX, `shared-${round}`, 2, 100 * DOLLAR)]),
        other.applyFills([fillFor(buyY, `shared-${round}`, 2, 100 * DOLLAR)]),
      ]);
      expect([a[0]!.outcome, b[0]!.outcome].sort()).toEqual(['applied', 'duplicate']);
    }
    expect(await db.ledger.auditBooks()).toEqual([]);
  });

  it('an empty batch does nothing; a batch of only foreign events is flagged without touching a book', async () => {
    expect(await db.ledger.applyFills([])).toEqual([]);
    expect(await db.ledger.recordBrokerStates([])).toEqual([]);
    const foreign = { ...fillFor(intentFor('x', 1), 'only-foreign', 1, DOLLAR), clientOrderId: 'manual-77' };
    const results = await db.ledger.applyFills([foreign, foreign]);
    expect(results.map((r) => r.outcome)).toEqual(['unattributed', 'unattributed']);
    const { rows } = await db.pool.query("SELECT count(*)::int AS n FROM unattributed_broker_events WHERE execution_id = 'only-foreign'");
    expect(rows).toEqual([{ n: 1 }]);
  });
});
