import { describe, expect, it } from 'vitest';
import { decideTeamOrders } from '../../../server/engine/decide.ts';
import { returnedSignals } from '../../../server/engine/signals.ts';
import { clientOrderId } from '../../../server/trading/clientOrderId.ts';
import { toMoney } from '../../../server/trading/money.ts';
import { rejectionRecord, rejectionText } from '../../../server/trading/orders/rejection.ts';
import { DEFAULT_RISK, INITIAL_RISK_STATE, riskLimitsFrom } from '../../../server/trading/risk/limits.ts';
import { newTeamBook } from '../../../server/trading/portfolio/book.ts';

/** One rule for signals everywhere: each entry is judged on its own, numbered from 1 in every message. */

const M0 = Date.UTC(2025, 6, 8, 13, 30);

const base = {
  teamId: 'alpha',
  minute: M0,
  book: newTeamBook('alpha', toMoney(10_000)),
  openOrders: [],
  equity: toMoney(10_000),
  risk: INITIAL_RISK_STATE,
  limits: riskLimitsFrom(DEFAULT_RISK),
  universe: new Set(['SPY', 'QQQ']),
  prices: new Map([
    ['SPY', toMoney(100)],
    ['QQQ', toMoney(50)],
  ]),
  marketBuyBufferBps: 500,
  halt: null,
};

describe('returned signals', () => {
  it('put the entries the sandbox could not read back at their positions', () => {
    const buy = { symbol: 'SPY', action: 'buy' as const, quantity: 1 };
    const sell = { symbol: 'QQQ', action: 'sell' as const, quantity: 2 };
    expect(returnedSignals({ signals: [buy, sell] })).toEqual([buy, sell]);
    expect(returnedSignals({ signals: [buy, sell], invalidSignals: [] })).toEqual([buy, sell]);
    const malformed = { index: 1, message: 'signal 2 (SPY): action must be "buy" or "sell", got "hold"' };
    expect(returnedSignals({ signals: [buy, sell], invalidSignals: [malformed, { index: 3, message: 'signal 4 …' }] })).toEqual([
      buy,
      { malformed: malformed.message },
      sell,
      { malformed: 'signal 4 …' },
    ]);
  });
});

describe('the decision on a list with bad entries', () => {
  it('rejects each bad one with its reason and keeps the others, whose ids keep their positions', () => {
    const signals = [
      { symbol: 'SPY', action: 'buy' as const, quantity: 10 },
      { malformed: 'signal 2 (SPY): action must be "buy" or "sell", got "hold"' },
      { symbol: 'SPY', action: 'buy' as const, quantity: 0 },
      { symbol: 'XYZ', action: 'buy' as const, quantity: 1 },
      { symbol: 'QQQ', action: 'buy' as const, quantity: 4 },
    ];
    const decided = decideTeamOrders({ ...base, signals });
    expect(decided.intents.map((intent) => [intent.clientOrderId, intent.symbol, intent.quantity])).toEqual([
      [clientOrderId('alpha', M0, 1), 'SPY', 10],
      [clientOrderId('alpha', M0, 5), 'QQQ', 4],
    ]);
    expect(decided.rejections.map((r) => [r.index, r.code])).toEqual([
      [1, 'invalid_signal'],
      [2, 'bad_quantity'],
      [3, 'unknown_symbol'],
    ]);
    expect(decided.rejections.map((r) => rejectionText(rejectionRecord(r)))).toEqual([
      'signal 2 (SPY): action must be "buy" or "sell", got "hold"',
      'signal 3 (buy 0 SPY): quantity must be a whole number of shares from 1 to 1,000,000,000, got 0',
      "signal 4 (buy 1 XYZ): XYZ is not in the competition's universe",
    ]);
    expect(rejectionRecord(decided.rejections[0]!)).toEqual({
      index: 1,
      symbol: '',
      action: '',
      quantity: 0,
      code: 'invalid_signal',
      message: 'signal 2 (SPY): action must be "buy" or "sell", got "hold"',
    });
    // The day's order count takes only the orders sent.
    expect(decided.risk.tradesToday).toBe(2);
  });
});
