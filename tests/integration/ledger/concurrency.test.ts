/**
 * A seeded storm of intents, order updates and fills — duplicated, reordered and delivered at once
 * through three pools — after which every book must still equal what its fills and orders say.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLedger, type AppliedFillResult, type Ledger } from '../../../server/ledger/ledger.ts';
import type { BrokerOrderState, Fill, OrderIntent } from '../../../server/trading/types.ts';
import { DOLLAR, intentFor, MINUTE, openLedgerDatabase, type LedgerDatabase, seededRandom as random } from './support.ts';

const TEAMS = ['storm-a', 'storm-b', 'storm-c'];
const ROUNDS = 10;

let db: LedgerDatabase;
let ledgers: Ledger[];

beforeAll(async () => {
  db = await openLedgerDatabase();
  for (const team of TEAMS) await db.addTeam(team);
  ledgers = [db.ledger, createLedger(db.openPool()), createLedger(db.openPool())];
});
afterAll(async () => {
  await db.close();
});

it('books equal the sum of their fills and orders after concurrent, duplicated, reordered events', async () => {
  const rand = random(20250102);
  const int = (low: number, high: number) => low + Math.floor(rand() * (high - low + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  let executions = 0;
  const fillResults: AppliedFillResult[] = [];

  for (let round = 0; round < ROUNDS; round += 1) {
    const minute = MINUTE + round * 60_000;
    const intents: OrderIntent[] = [];
    for (const team of TEAMS) {
      intents.push(intentFor(team, 1, { quantity: int(1, 20), referencePrice: int(90, 110) * DOLLAR, symbol: pick(['SPY', 'QQQ']) }, minute));
      intents.push(intentFor(team, 2, { side: 'sell', quantity: int(1, 10), symbol: pick(['SPY', 'QQQ']) }, minute));
    }
    // The tick records the minute's intents, and a retried tick (another worker) records them again, at once.
    const [first, second] = await Promise.all([pick(ledgers).recordIntents(intents), pick(ledgers).recordIntents(intents)]);
    const recorded = intents.filter((intent, index) => first[index]?.outcome === 'recorded' || second[index]?.outcome === 'recorded');

    const events: (() => Promise<unknown>)[] = [];
    for (const intent of recorded) {
      const state = (overrides: Partial<BrokerOrderState>): BrokerOrderState => ({
        clientOrderId: intent.clientOrderId,
        brokerOrderId: `b-${intent.clientOrderId}`,
        symbol: intent.symbol,
        side: intent.side,
        quantity: intent.quantity,
        status: 'accepted',
        filledQuantity: 0,
        filledAvgPrice: null,
        reason: null,
        updatedAt: minute + 1_000,
        ...overrides,
      });
      const fate = pick(['filled', 'partial_then_canceled', 'canceled', 'rejected'] as const);
      const toFill = fate === 'filled' ? intent.quantity : fate === 'partial_then_canceled' ? int(0, intent.quantity - 1) : 0;
      const fills: Fill[] = [];
      for (let left = toFill; left > 0;) {
        const quantity = int(1, left);
        left -= quantity;
        executions += 1;
        fills.push({
          executionId: `storm-${executions}`,
          clientOrderId: intent.clientOrderId,
          brokerOrderId: `b-${intent.clientOrderId}`,
          symbol: intent.symbol,
          side: intent.side,
          quantity,
          price: intent.referencePrice + int(-2_000, 2_000),
          at: minute + 60_000,
        });
      }
      events.push(() => pick(ledgers).recordBrokerState(state({})));
      const terminal = fate === 'filled' ? 'filled' : fate === 'rejected' ? 'rejected' : 'canceled';
      events.push(() => pick(ledgers).recordBrokerState(state({ status: terminal, filledQuantity: toFill, updatedAt: minute + 5_000 })));
      for (const fill of fills) {
        // Every fill twice, through different pools.
        events.push(async () => fillResults.push(await pick(ledgers).applyFill(fill)));
        events.push(async () => fillResults.push(await pick(ledgers).applyFill(fill)));
      }
    }
    // Shuffle: a cancel may overtake its fills, a duplicate may overtake the original.
    for (let i = events.length - 1; i > 0; i -= 1) {
      const j = Math.floor(rand() * (i + 1));
      [events[i], events[j]] = [events[j]!, events[i]!];
    }
    await Promise.all(events.map((event) => event()));
  }

  expect(fillResults.filter((r) => r.outcome === 'applied')).toHaveLength(executions);
  expect(fillResults.filter((r) => r.outcome === 'duplicate')).toHaveLength(executions);
  expect(executions).toBeGreaterThan(10);
  expect(await db.ledger.auditBooks()).toEqual([]);
  // Every order reached a terminal state with all its fills applied: nothing may remain reserved.
  for (const book of await db.ledger.loadBooks()) {
    expect(book.reservedCash).toBe(0);
    expect(book.pendingSell).toEqual({});
  }
  expect(await db.ledger.openOrders()).toEqual([]);
});

it('the audit notices a book changed behind the ledger’s back', async () => {
  await db.pool.query("UPDATE team_books SET cash = cash + 0.0001 WHERE team_id = 'storm-a'");
  const { rows } = await db.pool.query<{ symbol: string }>(
    `UPDATE team_positions SET quantity = quantity + 1
     WHERE team_id = 'storm-b' AND symbol = (SELECT min(symbol) FROM team_positions WHERE team_id = 'storm-b') RETURNING symbol`,
  );
  expect(rows).toHaveLength(1);
  const findings = await db.ledger.auditBooks();
  expect(findings.map((f) => [f.teamId, f.symbol, f.field, f.stored - f.expected])).toEqual([
    ['storm-a', null, 'cash', 1],
    ['storm-b', rows[0]!.symbol, 'quantity', 1],
  ]);
});
