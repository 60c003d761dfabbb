/**
 * Trade statistics kept by the ledger (`team_trade_stats`, advanced with every fill it records) always
 * equal the sum over `fills` the leaderboard used to compute each minute: through partial sells whose
 * realised P&L changes sign, fills delivered twice, several orders of one team in one batch, and batches
 * of two pools racing on the same teams.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../../../server/ledger/ledger.ts';
import { readTradeStats, tradeStatsDeltas } from '../../../server/ledger/tradeStats.ts';
import { tradeStats } from '../../../server/leaderboard/standings.ts';
import type { Fill, OrderIntent } from '../../../server/trading/types.ts';
import { DOLLAR, fillFor, intentFor, MINUTE, openLedgerDatabase, type LedgerDatabase, seededRandom as random } from './support.ts';

const TEAMS = ['ts-a', 'ts-b', 'ts-c', 'ts-d'];

let db: LedgerDatabase;

beforeAll(async () => {
  db = await openLedgerDatabase();
  for (const teamId of TEAMS) await db.addTeam(teamId);
}, 60_000);

afterAll(async () => {
  await db?.close();
});

const sorted = <T>(map: ReadonlyMap<string, T>): Array<[string, T]> => [...map].sort(([a], [b]) => a.localeCompare(b));

async function expectStatsEqualFills(): Promise<void> {
  expect(sorted(await readTradeStats(db.pool))).toEqual(sorted(await tradeStats(db.pool, null)));
}

describe('trade statistics kept by the ledger', { timeout: 120_000 }, () => {
  it('count an order once, moving its P&L with each partial fill (pure)', () => {
    const before = new Map([['o1', 4 * DOLLAR]]);
    const deltas = tradeStatsDeltas(
      [
        { teamId: 't', clientOrderId: 'o1', realizedPnl: -6 * DOLLAR },
        { teamId: 't', clientOrderId: 'o2', realizedPnl: 0 },
        { teamId: 'u', clientOrderId: 'o3', realizedPnl: 2 * DOLLAR },
      ],
      before,
    );
    // o1 was a +4 win and is now a −2 loss; o2 is a new break-even trade; o3 a new win.
    expect(deltas.get('t')).toEqual({ tradeCount: 1, winningTrades: -1, grossProfit: -4 * DOLLAR, grossLoss: 2 * DOLLAR });
    expect(deltas.get('u')).toEqual({ tradeCount: 1, winningTrades: 1, grossProfit: 2 * DOLLAR, grossLoss: 0 });
    expect(tradeStatsDeltas([{ teamId: 't', clientOrderId: 'o1', realizedPnl: 0 }], before).has('t')).toBe(false);
  });

  it('equal the sum over fills after every batch, with partial sells, duplicates and racing pools', async () => {
    const rand = random(7);
    const int = (low: number, high: number) => low + Math.floor(rand() * (high - low + 1));
    const other = createLedger(db.openPool());
    let executions = 0;
    const fill = (intent: OrderIntent, quantity: number, price: number): Fill => {
      executions += 1;
      return { ...fillFor(intent, `ts-ex-${String(executions)}`, quantity, price), at: intent.minute + 60_000 + executions };
    };
    for (let round = 0; round < 12; round++) {
      const minute = MINUTE + round * 120_000;
      const buys = TEAMS.map((teamId) => intentFor(teamId, 1, { quantity: 20 }, minute));
      await db.ledger.recordIntents(buys);
      await db.ledger.applyFills(buys.map((intent) => fill(intent, 20, 100 * DOLLAR + int(-300, 300))));
      const sells = TEAMS.flatMap((teamId) => [1, 2].map((k) => intentFor(teamId, 1 + k, { side: 'sell', quantity: 10 }, minute + 60_000)));
      await db.ledger.recordIntents(sells);
      // Each sell fills in up to three parts, priced either side of cost, so an order's P&L can change sign.
      const parts = sells.flatMap((intent) => {
        const first = int(1, 9);
        const second = int(0, 10 - first);
        return [first, second, 10 - first - second].filter((quantity) => quantity > 0).map((quantity) => fill(intent, quantity, 100 * DOLLAR + int(-800, 800)));
      });
      const shuffled = parts.map((part) => [rand(), part] as const).sort(([a], [b]) => a - b);
      // Ordered per order (a fill's P&L depends on the book), split into batches, some delivered twice, half by another pool at once.
      const byOrder = new Map<string, Fill[]>();
      for (const [, part] of shuffled) byOrder.set(part.clientOrderId, [...(byOrder.get(part.clientOrderId) ?? []), part]);
      const waves: Fill[][] = [[], [], []];
      for (const list of byOrder.values()) list.forEach((part, index) => waves[index]!.push(part));
      for (const wave of waves) {
        const half = Math.floor(wave.length / 2);
        const again = wave.filter(() => rand() < 0.3);
        await Promise.all([db.ledger.applyFills([...wave.slice(0, half), ...again]), other.applyFills([...wave.slice(half), ...again])]);
        await expectStatsEqualFills();
      }
    }
    const stats = await readTradeStats(db.pool);
    for (const teamId of TEAMS) expect(stats.get(teamId)?.tradeCount).toBe(24);
    expect([...stats.values()].some((entry) => entry.winningTrades > 0 && entry.grossLoss > 0)).toBe(true);
  });
});
