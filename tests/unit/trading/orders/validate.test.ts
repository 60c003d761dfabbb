import { describe, expect, it } from 'vitest';
import type { Signal } from '../../../../sandbox/index.ts';
import { toMoney } from '../../../../server/trading/money.ts';
import { roundToTick, validateSignals, type ValidationContext } from '../../../../server/trading/orders/validate.ts';

const minute = Date.parse('2025-07-08T13:31:00Z');

function context(overrides: Partial<ValidationContext> = {}): ValidationContext {
  return {
    teamId: 'alpha',
    minute,
    universe: new Set(['SPY', 'QQQ', 'PENNY']),
    prices: new Map([
      ['SPY', toMoney(100)],
      ['QQQ', toMoney(50)],
      ['PENNY', toMoney(0.5)],
    ]),
    book: { cash: toMoney(10_000), reservedCash: 0, positions: { SPY: { quantity: 20, costBasis: toMoney(1900), realizedPnl: 0 } }, pendingSell: {} },
    ...overrides,
  };
}

const buy = (symbol: string, quantity: number, price?: number): Signal => ({ symbol, action: 'buy', quantity, ...(price === undefined ? {} : { price }) });
const sell = (symbol: string, quantity: number, price?: number): Signal => ({ symbol, action: 'sell', quantity, ...(price === undefined ? {} : { price }) });

describe('validateSignals', () => {
  it('turns sound signals into intents with deterministic client order ids, seq = position in the list', () => {
    const { intents, rejections } = validateSignals([buy('SPY', 10), sell('SPY', 5, 101), { ...buy('QQQ', 2), reason: 'why' }], context());
    expect(rejections).toEqual([]);
    expect(intents.map((i) => [i.clientOrderId, i.side, i.type, i.limitPrice, i.referencePrice, i.reason])).toEqual([
      ['t-alpha-202507081331-1', 'buy', 'market', null, toMoney(100), null],
      ['t-alpha-202507081331-2', 'sell', 'limit', toMoney(101), toMoney(100), null],
      ['t-alpha-202507081331-3', 'buy', 'market', null, toMoney(50), 'why'],
    ]);
  });

  it('keeps the sequence of a signal after a rejected one (ids never shift)', () => {
    const { intents, rejections } = validateSignals([buy('NOPE', 1), buy('SPY', 1)], context());
    expect(rejections.map((r) => [r.index, r.code])).toEqual([[0, 'unknown_symbol']]);
    expect(intents[0]?.seq).toBe(2);
    expect(intents[0]?.clientOrderId).toBe('t-alpha-202507081331-2');
  });

  it('rejects symbols outside the universe, bad sides and quantities that are not positive whole numbers', () => {
    const signals = [
      buy('TSLA', 1),
      { symbol: 'SPY', action: 'hold', quantity: 1 } as unknown as Signal,
      buy('SPY', 0),
      buy('SPY', 1.5),
      buy('SPY', -3),
      buy('SPY', Number.NaN),
      buy('SPY', 2e9),
    ];
    const { intents, rejections } = validateSignals(signals, context());
    expect(intents).toEqual([]);
    expect(rejections.map((r) => r.code)).toEqual(['unknown_symbol', 'bad_side', 'bad_quantity', 'bad_quantity', 'bad_quantity', 'bad_quantity', 'bad_quantity']);
    expect(rejections[3]?.message).toContain('1.5');
    expect(rejections[0]?.signal).toBe(signals[0]);
  });

  it('needs a current price for the symbol', () => {
    const prices = new Map([['SPY', toMoney(100)]]);
    const { rejections } = validateSignals([buy('QQQ', 1)], context({ prices }));
    expect(rejections[0]).toMatchObject({ code: 'no_price', message: expect.stringContaining('QQQ') as unknown });
  });

  it('accepts limit prices within 10% of the current price and rejects beyond, naming both prices', () => {
    const { intents, rejections } = validateSignals([buy('SPY', 1, 110), buy('SPY', 1, 90), buy('SPY', 1, 110.01), sell('SPY', 1, 89.99)], context());
    expect(intents.map((i) => i.limitPrice)).toEqual([toMoney(110), toMoney(90)]);
    expect(rejections.map((r) => [r.index, r.code])).toEqual([
      [2, 'price_band'],
      [3, 'price_band'],
    ]);
    expect(rejections[0]?.message).toBe('limit price $110.01 for SPY is more than 10% away from the current price $100.00');
  });

  it('rounds limit prices to the tick: cents from $1, hundredths of a cent below', () => {
    expect(roundToTick(toMoney(100.123))).toBe(toMoney(100.12));
    expect(roundToTick(toMoney(100.125))).toBe(toMoney(100.13));
    expect(roundToTick(toMoney(0.5123))).toBe(toMoney(0.5123));
    const { intents } = validateSignals([buy('PENNY', 10, 0.4999)], context());
    expect(intents[0]?.limitPrice).toBe(toMoney(0.4999));
  });

  it('rejects a buy beyond cash, with the numbers in the message', () => {
    const { rejections } = validateSignals([buy('SPY', 101)], context());
    expect(rejections[0]).toMatchObject({ code: 'insufficient_cash' });
    expect(rejections[0]?.message).toContain('needs $10,100.00, cash available $10,000.00');
  });

  it('counts the extra cash held back for open market buys', () => {
    const { rejections } = validateSignals([buy('QQQ', 1)], context({ book: { ...context().book, reservedCash: toMoney(9_900) }, extraReservedCash: toMoney(60) }));
    expect(rejections[0]?.message).toContain('cash available $40.00');
  });

  it('counts cash reserved by open orders', () => {
    const book = { cash: toMoney(10_000), reservedCash: toMoney(9_950), positions: {}, pendingSell: {} };
    const { intents, rejections } = validateSignals([buy('QQQ', 2), buy('QQQ', 1)], context({ book }));
    expect(rejections.map((r) => [r.index, r.code])).toEqual([[0, 'insufficient_cash']]);
    expect(intents.map((i) => i.seq)).toEqual([2]);
  });

  it('reserves cash for earlier signals of the same minute, limit orders at their limit', () => {
    // 60 × $100 + 40 × $99 = $9,960; the third buy of $50 no longer fits in $10,000.
    const { intents, rejections } = validateSignals([buy('SPY', 60), buy('SPY', 40, 99), buy('QQQ', 1), buy('PENNY', 80)], context());
    expect(intents.map((i) => i.seq)).toEqual([1, 2, 4]);
    expect(rejections).toHaveLength(1);
    expect(rejections[0]?.message).toContain('cash available $40.00');
  });

  it('adds the market-buy buffer to the reservation, rounded up', () => {
    const tight = context({ book: { cash: toMoney(1000), reservedCash: 0, positions: {}, pendingSell: {} }, marketBuyBufferBps: 5 });
    expect(validateSignals([buy('SPY', 10)], tight).rejections[0]?.message).toContain('needs $1,000.50');
    expect(validateSignals([buy('SPY', 10, 100)], tight).intents).toHaveLength(1);
  });

  it('limits sells to the position net of open sells and earlier sells this minute: no shorting', () => {
    const { intents, rejections } = validateSignals([sell('SPY', 8), sell('SPY', 8), sell('QQQ', 1)], context({ book: { ...context().book, pendingSell: { SPY: 5 } } }));
    expect(intents.map((i) => i.quantity)).toEqual([8]);
    expect(rejections.map((r) => [r.index, r.code])).toEqual([
      [1, 'insufficient_position'],
      [2, 'insufficient_position'],
    ]);
    expect(rejections[0]?.message).toBe('sell 8 shares of SPY: 7 shares available (held 20, 13 already in open sell orders); no short selling');
  });

  it('a sell does not need cash and a buy does not need a position', () => {
    const broke = context({ book: { cash: 0, reservedCash: 0, positions: { SPY: { quantity: 1, costBasis: 0, realizedPnl: 0 } }, pendingSell: {} } });
    expect(validateSignals([sell('SPY', 1)], broke).intents).toHaveLength(1);
    expect(validateSignals([buy('SPY', 1)], broke).rejections[0]?.code).toBe('insufficient_cash');
  });
});
