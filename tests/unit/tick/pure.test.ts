import { describe, expect, it } from 'vitest';
import type { Bar } from '../../../data/market/bar.ts';
import { decideTeamOrders } from '../../../server/engine/decide.ts';
import { MemoryBooks } from '../../../server/engine/memoryBooks.ts';
import { simExecutionId, simulateMinute, type SimOpenOrder } from '../../../server/trading/brokers/sim/fillModel.ts';
import { SimVenue } from '../../../server/trading/brokers/sim/simVenue.ts';
import { clientOrderId } from '../../../server/trading/clientOrderId.ts';
import { toMoney } from '../../../server/trading/money.ts';
import { INITIAL_RISK_STATE, riskLimitsFrom, DEFAULT_RISK } from '../../../server/trading/risk/limits.ts';
import type { OrderIntent } from '../../../server/trading/types.ts';
import { barsHash, carryPrices, decodeBars, encodeBars } from '../../../server/tick/barsSnapshot.ts';
import { parsePauseSpec, pauseHookFrom } from '../../../server/tick/pausePoint.ts';
import { shardOf, teamsOfShard } from '../../../server/tick/shards.ts';
import { newTeamBook } from '../../../server/trading/portfolio/book.ts';

const M0 = Date.UTC(2025, 6, 8, 13, 30);
const M1 = M0 + 60_000;

const bar = (symbol: string, timestamp: number, open: number, high: number, low: number, close: number, volume = 1_000): Bar => ({
  symbol,
  timestamp,
  open,
  high,
  low,
  close,
  volume,
});

function intent(teamId: string, seq: number, symbol: string, side: 'buy' | 'sell', quantity: number, referencePrice: number, limit: number | null = null): OrderIntent {
  return {
    clientOrderId: clientOrderId(teamId, M0, seq),
    teamId,
    minute: M0,
    seq,
    symbol,
    side,
    quantity,
    type: limit === null ? 'market' : 'limit',
    limitPrice: limit === null ? null : toMoney(limit),
    referencePrice: toMoney(referencePrice),
    reason: null,
  };
}

describe('bars snapshot', () => {
  it('hashes the same bars the same whatever their order, and carries prices forward', () => {
    const a = new Map([
      ['SPY', bar('SPY', M0, 1, 2, 0.5, 1.5)],
      ['QQQ', bar('QQQ', M0, 3, 4, 2.5, 3.5)],
    ]);
    const b = new Map([
      ['QQQ', a.get('QQQ')!],
      ['SPY', a.get('SPY')!],
    ]);
    expect(barsHash(M0, encodeBars(a))).toBe(barsHash(M0, encodeBars(b)));
    expect(barsHash(M0, encodeBars(a))).not.toBe(barsHash(M1, encodeBars(a)));
    const shuffled = Object.fromEntries(Object.entries(encodeBars(a)).reverse());
    expect(barsHash(M0, shuffled)).toBe(barsHash(M0, encodeBars(a)));
    expect([...decodeBars(M0, encodeBars(a)).values()]).toEqual([a.get('QQQ'), a.get('SPY')]);
    expect(carryPrices({ IWM: 2, SPY: 1 }, encodeBars(a))).toEqual({ IWM: 2, QQQ: 3.5, SPY: 1.5 });
  });
});

describe('shards', () => {
  it('place every team in exactly one shard, the same every time, spread evenly', () => {
    const teams = Array.from({ length: 400 }, (_, i) => ({ teamId: `team-${String(i)}` }));
    const sizes = [0, 1, 2, 3].map((shard) => teamsOfShard(teams, shard, 4).length);
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(400);
    for (const size of sizes) expect(size).toBeGreaterThan(70);
    expect(shardOf('alpha', 4)).toBe(shardOf('alpha', 4));
    expect(shardOf('alpha', 1)).toBe(0);
  });
});

describe('simulated fills: one fill model, whatever books hold the orders', () => {
  it("give the same fills over the backtest's memory books as over a plain list of open orders, with deterministic execution ids", async () => {
    const intents = [
      intent('alpha', 1, 'SPY', 'buy', 10, 100), // market: fills at the next open + slippage
      intent('alpha', 2, 'QQQ', 'buy', 5, 50, 49.5), // limit below the bar's low: stays open
      intent('beta', 1, 'SPY', 'buy', 3, 100, 101), // limit above the open: fills at the open
      intent('beta', 2, 'IWM', 'buy', 1, 20), // the open is far above the collar: canceled
    ];
    const bars = new Map([
      ['SPY', bar('SPY', M1, 100.5, 101, 100, 100.8)],
      ['QQQ', bar('QQQ', M1, 50.2, 50.6, 49.9, 50.1)],
      ['IWM', bar('IWM', M1, 25, 25.5, 24.9, 25.2)],
    ]);
    const books = new MemoryBooks();
    await books.ensureTeamBooks(['alpha', 'beta'], toMoney(1_000_000));
    const venue = new SimVenue({ books, knows: (symbol) => ['SPY', 'QQQ', 'IWM'].includes(symbol), slippageBps: 2, marketBuyCollarBps: 500 });
    await books.recordIntents(intents);
    await books.recordBrokerStates(await Promise.all(intents.map((order) => venue.submit(order))));
    const expected = await venue.advance(M1, bars);
    // Independent figures: 100.50 + 2 bps = 100.5201 (rounded up for a buy); the limit buy at the open 100.50.
    expect(expected.fills.map(({ fill }) => [fill.clientOrderId, fill.quantity, fill.price, fill.at])).toEqual([
      [intents[0]!.clientOrderId, 10, toMoney(100.5201), M1],
      [intents[2]!.clientOrderId, 3, toMoney(100.5), M1],
    ]);
    const open: SimOpenOrder[] = intents.map((order) => ({ intent: order, status: 'accepted', filledQuantity: 0 }));
    const decisions = simulateMinute(open, M1, bars, { slippageBps: 2, marketBuyCollarBps: 500 });
    const fills = decisions.flatMap((d) => (d.kind === 'fill' ? [d.fill] : []));
    expect(fills).toEqual(expected.fills.map(({ fill }) => fill));
    expect(fills.map((f) => f.executionId)).toEqual(fills.map((f) => simExecutionId(f.clientOrderId)));
    const ended = decisions.flatMap((d) => (d.kind === 'end' ? [d.state] : []));
    expect(ended).toEqual(expected.ended.map(({ state }) => state));
    expect(ended.map((s) => [s.clientOrderId, s.status])).toEqual([[intents[3]!.clientOrderId, 'canceled']]);
    // Pending submissions and orders of this minute are not the venue's yet; ended ones are done.
    const ignored = simulateMinute(
      [
        { intent: intents[0]!, status: 'pending_submit', filledQuantity: 0 },
        { intent: { ...intents[0]!, minute: M1 }, status: 'accepted', filledQuantity: 0 },
      ],
      M1,
      bars,
      { slippageBps: 0, marketBuyCollarBps: 500 },
    );
    expect(ignored).toEqual([]);
  });

  it("expires day orders at their session's close", () => {
    const order: SimOpenOrder = { intent: intent('alpha', 1, 'SPY', 'buy', 1, 100, 90), status: 'accepted', filledQuantity: 0 };
    const nextMorning = Date.UTC(2025, 6, 9, 13, 30);
    const decisions = simulateMinute([order], nextMorning, new Map([['SPY', bar('SPY', nextMorning, 100, 101, 99, 100)]]), { slippageBps: 0, marketBuyCollarBps: 500 });
    expect(decisions).toEqual([{ kind: 'end', state: expect.objectContaining({ status: 'expired', updatedAt: Date.UTC(2025, 6, 8, 20, 0) }) as unknown }]);
  });
});

describe("a team's decision", () => {
  it('validates, applies risk, refuses everything under a halt, and rolls the risk day', () => {
    const book = newTeamBook('alpha', toMoney(10_000));
    const prices = new Map([['SPY', toMoney(100)]]);
    const base = {
      teamId: 'alpha',
      minute: M0,
      book,
      openOrders: [],
      equity: toMoney(10_000),
      risk: INITIAL_RISK_STATE,
      limits: riskLimitsFrom(DEFAULT_RISK),
      universe: new Set(['SPY']),
      prices,
      marketBuyBufferBps: 500,
      halt: null,
    };
    const decided = decideTeamOrders({
      ...base,
      signals: [
        { symbol: 'SPY', action: 'buy', quantity: 10 },
        { symbol: 'XYZ', action: 'buy', quantity: 1 },
        { symbol: 'SPY', action: 'sell', quantity: 1 },
      ],
    });
    expect(decided.intents.map((i) => [i.clientOrderId, i.quantity])).toEqual([[clientOrderId('alpha', M0, 1), 10]]);
    expect(decided.rejections.map((r) => r.code)).toEqual(['unknown_symbol', 'insufficient_position']);
    expect(decided.risk).toMatchObject({ day: '2025-07-08', tradesToday: 1, startOfDayEquity: toMoney(10_000) });
    const halted = decideTeamOrders({ ...base, halt: 'maintenance', signals: [{ symbol: 'SPY', action: 'buy', quantity: 1 }] });
    expect(halted.intents).toEqual([]);
    expect(halted.rejections.map((r) => r.code)).toEqual(['kill_switch']);
    expect(decideTeamOrders({ ...base, signals: [] }).risk.day).toBe('2025-07-08');
  });
});

describe('the test-only pause point', () => {
  it('parses <point>@<minute>, refuses anything else, and waits only at that point of that minute', async () => {
    expect(parsePauseSpec(undefined)).toBeNull();
    expect(parsePauseSpec('after-intents@202507081331')).toEqual({ point: 'after-intents', stamp: '202507081331' });
    expect(() => parsePauseSpec('after-lunch@202507081331')).toThrow(/QTC_TICK_PAUSE_AT/);
    const lines: string[] = [];
    const hook = pauseHookFrom({ point: 'after-fills', stamp: '202507081330' }, (line) => lines.push(line));
    await hook('after-fills', M1);
    await hook('after-intents', M0);
    expect(lines).toEqual([]);
    const waiting = hook('after-fills', M0);
    const outcome = await Promise.race([waiting.then(() => 'returned'), new Promise((resolve) => setImmediate(() => resolve('waiting')))]);
    expect(outcome).toBe('waiting');
    expect(lines).toEqual(['qtc-tick-paused after-fills 202507081330\n']);
  });
});
