import { describe, expect, it } from 'vitest';
import type { Signal } from '../../../../sandbox/index.ts';
import { toMoney } from '../../../../server/trading/money.ts';
import {
  applyRiskLimits,
  beginRiskMinute,
  DEFAULT_RISK,
  INITIAL_RISK_STATE,
  riskLimitsFrom,
  setKillSwitch,
  tradingDay,
  type RiskContext,
  type RiskLimits,
} from '../../../../server/trading/risk/limits.ts';
import type { OrderIntent } from '../../../../server/trading/types.ts';
import { RegistrySchema } from '../../../../registry/schema.ts';

const minute = Date.parse('2025-07-08T13:31:00Z');
const limits: RiskLimits = riskLimitsFrom({ maxPositionPct: 0.5, maxOrderNotional: 5_000, maxOrdersPerMinute: 3, maxTradesPerDay: 4, maxDailyLossPct: 0.1 });

function intent(seq: number, side: 'buy' | 'sell', symbol: string, quantity: number, price = 100, limitPrice: number | null = null): OrderIntent {
  return {
    clientOrderId: `t-a-202507081331-${String(seq)}`,
    teamId: 'a',
    minute,
    seq,
    symbol,
    side,
    quantity,
    type: limitPrice === null ? 'market' : 'limit',
    limitPrice: limitPrice === null ? null : toMoney(limitPrice),
    referencePrice: toMoney(price),
    reason: null,
  };
}

function context(overrides: Partial<RiskContext> = {}): RiskContext {
  const state = beginRiskMinute(INITIAL_RISK_STATE, minute, toMoney(10_000), limits);
  return { limits, state, equity: toMoney(10_000), positions: {}, pendingBuys: new Map(), signals: [], ...overrides };
}

describe('applyRiskLimits', () => {
  it('passes orders within every limit and counts them as trades of the day', () => {
    const result = applyRiskLimits([intent(1, 'buy', 'SPY', 10), intent(2, 'buy', 'QQQ', 10)], context());
    expect(result.accepted.map((i) => i.seq)).toEqual([1, 2]);
    expect(result.rejections).toEqual([]);
    expect(result.state.tradesToday).toBe(2);
  });

  it('rejects an order above the notional limit, using the limit price when there is one', () => {
    const signals: Signal[] = [{ symbol: 'SPY', action: 'buy', quantity: 51 }];
    const result = applyRiskLimits([intent(1, 'buy', 'SPY', 51), intent(2, 'buy', 'QQQ', 46, 100, 110)], context({ signals }));
    expect(result.rejections.map((r) => [r.index, r.code])).toEqual([
      [0, 'max_order_notional'],
      [1, 'max_order_notional'],
    ]);
    expect(result.rejections[0]?.message).toBe('order of 51 SPY at $100.00 is $5,100.00, above the $5,000.00 limit per order');
    expect(result.rejections[0]?.signal).toBe(signals[0]);
    expect(result.state.tradesToday).toBe(0);
  });

  it('caps a position at a fraction of equity, counting held shares, open buys and earlier buys this minute', () => {
    const ctx = context({ positions: { SPY: { quantity: 20 } }, pendingBuys: new Map([['SPY', 10]]) });
    // 20 + 10 + 15 = 45 shares × $100 = $4,500 ≤ $5,000; then +10 → $5,500.
    const result = applyRiskLimits([intent(1, 'buy', 'SPY', 15), intent(2, 'buy', 'SPY', 10)], ctx);
    expect(result.accepted.map((i) => i.seq)).toEqual([1]);
    expect(result.rejections[0]?.code).toBe('max_position');
    expect(result.rejections[0]?.message).toContain('55 shares of SPY');
  });

  it('never blocks a sell for position size', () => {
    const result = applyRiskLimits([intent(1, 'sell', 'SPY', 40)], context({ positions: { SPY: { quantity: 90 } } }));
    expect(result.accepted).toHaveLength(1);
  });

  it('allows at most maxOrdersPerMinute orders in a minute', () => {
    const result = applyRiskLimits(
      [1, 2, 3, 4].map((seq) => intent(seq, 'buy', 'SPY', 1)),
      context(),
    );
    expect(result.accepted.map((i) => i.seq)).toEqual([1, 2, 3]);
    expect(result.rejections.map((r) => r.code)).toEqual(['max_orders_per_minute']);
  });

  it('allows at most maxTradesPerDay orders per New York day, and resets on the next day', () => {
    let ctx = context();
    ctx = {
      ...ctx,
      state: applyRiskLimits(
        [1, 2, 3].map((seq) => intent(seq, 'buy', 'SPY', 1)),
        ctx,
      ).state,
    };
    const second = applyRiskLimits(
      [1, 2].map((seq) => intent(seq, 'buy', 'SPY', 1)),
      ctx,
    );
    expect(second.accepted).toHaveLength(1);
    expect(second.rejections[0]?.code).toBe('max_trades_per_day');
    expect(second.rejections[0]?.message).toContain('2025-07-08');
    // 23:59 UTC is still 2025-07-08 in New York; the next morning is a new day.
    const lateSameDay = beginRiskMinute(second.state, Date.parse('2025-07-08T23:59:00Z'), toMoney(10_000), limits);
    expect(lateSameDay.tradesToday).toBe(4);
    const nextDay = beginRiskMinute(second.state, Date.parse('2025-07-09T13:30:00Z'), toMoney(10_000), limits);
    expect(nextDay).toMatchObject({ day: '2025-07-09', tradesToday: 0 });
  });

  it('halts the team for the rest of the day when equity falls more than the daily loss limit', () => {
    const start = beginRiskMinute(INITIAL_RISK_STATE, minute, toMoney(10_000), limits);
    expect(start).toMatchObject({ day: '2025-07-08', startOfDayEquity: toMoney(10_000), haltedForDay: null });
    const exactlyAtLimit = beginRiskMinute(start, minute + 60_000, toMoney(9_000), limits);
    expect(exactlyAtLimit.haltedForDay).toBeNull();
    const below = beginRiskMinute(exactlyAtLimit, minute + 120_000, toMoney(8_999.99), limits);
    expect(below.haltedForDay).toContain("$8,999.99 is 10.00% below the day's start $10,000.00");
    // Recovering within the day does not lift the halt.
    const recovered = beginRiskMinute(below, minute + 180_000, toMoney(10_500), limits);
    expect(recovered.haltedForDay).not.toBeNull();
    const result = applyRiskLimits([intent(1, 'buy', 'SPY', 1), intent(2, 'sell', 'SPY', 1)], context({ state: recovered }));
    expect(result.accepted).toEqual([]);
    expect(result.rejections.map((r) => r.code)).toEqual(['daily_loss_halt', 'daily_loss_halt']);
    // The next trading day starts from that day's equity, unhalted.
    const tomorrow = beginRiskMinute(recovered, Date.parse('2025-07-09T13:30:00Z'), toMoney(8_000), limits);
    expect(tomorrow).toMatchObject({ haltedForDay: null, startOfDayEquity: toMoney(8_000) });
  });

  it('the kill switch stops every order until lifted, across days', () => {
    const halted = setKillSwitch(context().state, 'suspicious orders');
    expect(applyRiskLimits([intent(1, 'sell', 'SPY', 1)], context({ state: halted })).rejections[0]).toMatchObject({
      code: 'kill_switch',
      message: 'the team is halted by an administrator: suspicious orders',
    });
    const nextDay = beginRiskMinute(halted, Date.parse('2025-07-09T13:30:00Z'), toMoney(10_000), limits);
    expect(nextDay.killSwitch).toBe('suspicious orders');
    expect(applyRiskLimits([intent(1, 'sell', 'SPY', 1)], context({ state: setKillSwitch(nextDay, null) })).accepted).toHaveLength(1);
  });

  it('is pure: the state passed in is not modified', () => {
    const ctx = context();
    const before = structuredClone(ctx.state);
    applyRiskLimits([intent(1, 'buy', 'SPY', 1)], ctx);
    expect(ctx.state).toEqual(before);
  });

  it('has defaults matching the registry', () => {
    const registry = RegistrySchema.parse({ competition: { name: 'x', universe: ['SPY'] } });
    expect(DEFAULT_RISK).toEqual(registry.competition.risk);
    expect(riskLimitsFrom(DEFAULT_RISK)).toEqual({ maxPositionPct: 0.5, maxOrderNotional: toMoney(50_000), maxOrdersPerMinute: 10, maxTradesPerDay: 500, maxDailyLossPct: 0.1 });
  });
});

describe('tradingDay', () => {
  it('is the New York date, across midnight, DST switches and in any call order', () => {
    const cases: Array<[string, string]> = [
      ['2025-07-08T03:59:00Z', '2025-07-07'],
      ['2025-07-08T04:00:00Z', '2025-07-08'],
      ['2025-03-09T06:59:00Z', '2025-03-09'], // 01:59 EST on the spring-forward day
      ['2025-03-09T04:59:00Z', '2025-03-08'],
      ['2025-11-02T04:59:00Z', '2025-11-02'], // 00:59 EDT
      ['2025-11-03T04:59:00Z', '2025-11-02'], // 23:59 EST
      ['2025-11-03T05:00:00Z', '2025-11-03'],
      ['2025-07-08T03:59:00Z', '2025-07-07'],
    ];
    for (const [iso, date] of cases) expect(tradingDay(Date.parse(iso)), iso).toBe(date);
  });
});
