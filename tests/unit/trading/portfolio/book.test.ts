import { describe, expect, it } from 'vitest';
import { toMoney } from '../../../../server/trading/money.ts';
import {
  applyFill,
  availableCash,
  availableQuantity,
  BookError,
  markToMarket,
  newTeamBook,
  releaseReservation,
  reservationFor,
  reserveForIntent,
} from '../../../../server/trading/portfolio/book.ts';
import type { Fill, OrderIntent, TeamBook } from '../../../../server/trading/types.ts';

const DOLLAR = 10_000;

function intent(overrides: Partial<OrderIntent> = {}): OrderIntent {
  return {
    clientOrderId: 't-alpha-202501021431-1',
    teamId: 'alpha',
    minute: Date.UTC(2025, 0, 2, 14, 31),
    seq: 1,
    symbol: 'SPY',
    side: 'buy',
    quantity: 10,
    type: 'market',
    limitPrice: null,
    referencePrice: 100 * DOLLAR,
    reason: null,
    ...overrides,
  };
}

function fillOf(order: OrderIntent, quantity: number, price: number, executionId = `x-${order.clientOrderId}-${quantity}-${price}`): Fill {
  return {
    executionId,
    clientOrderId: order.clientOrderId,
    brokerOrderId: null,
    symbol: order.symbol,
    side: order.side,
    quantity,
    price,
    at: order.minute + 60_000,
  };
}

function expectBookError(run: () => unknown, kind: BookError['kind']): void {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BookError);
    expect((error as BookError).kind).toBe(kind);
    return;
  }
  throw new Error(`expected a BookError of kind ${kind}`);
}

/** Buys `quantity` SPY at `price` through reserve + fill, the way the ledger does it. */
function holding(quantity: number, price: number, cash = 100_000 * DOLLAR): TeamBook {
  const buy = intent({ quantity, referencePrice: price, clientOrderId: `t-alpha-202501021430-${quantity}` });
  return applyFill(reserveForIntent(newTeamBook('alpha', cash), buy), fillOf(buy, quantity, price), buy).book;
}

describe('newTeamBook', () => {
  it('starts with all cash, nothing reserved, no positions', () => {
    expect(newTeamBook('alpha', 100_000 * DOLLAR)).toEqual({
      teamId: 'alpha',
      cash: 1_000_000_000,
      reservedCash: 0,
      positions: {},
      realizedPnl: 0,
      pendingSell: {},
    });
  });

  it('refuses negative or inexact starting cash', () => {
    expect(() => newTeamBook('alpha', -1)).toThrow(RangeError);
    expect(() => newTeamBook('alpha', 1.5)).toThrow(RangeError);
  });
});

describe('reserveForIntent', () => {
  it('reserves quantity × reference price for a market buy', () => {
    const book = reserveForIntent(newTeamBook('alpha', 100_000 * DOLLAR), intent({ quantity: 7, referencePrice: 123_4567 }));
    expect(book.reservedCash).toBe(8_641_969);
    expect(book.cash).toBe(1_000_000_000);
    expect(availableCash(book)).toBe(1_000_000_000 - 8_641_969);
  });

  it('reserves at the limit price for a limit buy', () => {
    const order = intent({ type: 'limit', quantity: 3, limitPrice: 99 * DOLLAR, referencePrice: 100 * DOLLAR });
    expect(reservationFor(order)).toBe(2_970_000);
    expect(reserveForIntent(newTeamBook('alpha', 10_000 * DOLLAR), order).reservedCash).toBe(2_970_000);
  });

  it('accumulates reservations and refuses one beyond the unreserved cash', () => {
    const start = newTeamBook('alpha', 1_000 * DOLLAR);
    const once = reserveForIntent(start, intent({ quantity: 6, referencePrice: 100 * DOLLAR }));
    expect(availableCash(once)).toBe(400 * DOLLAR);
    const exact = reserveForIntent(once, intent({ quantity: 4, referencePrice: 100 * DOLLAR, seq: 2 }));
    expect(availableCash(exact)).toBe(0);
    expectBookError(() => reserveForIntent(exact, intent({ quantity: 1, referencePrice: 1, seq: 3 })), 'insufficient_cash');
  });

  it('reserves shares, not cash, for a sell, and refuses selling shares already promised', () => {
    const book = holding(10, 100 * DOLLAR);
    const sell = intent({ side: 'sell', quantity: 6, clientOrderId: 't-alpha-202501021432-1' });
    const reserved = reserveForIntent(book, sell);
    expect(reserved.reservedCash).toBe(0);
    expect(reserved.pendingSell).toEqual({ SPY: 6 });
    expect(availableQuantity(reserved, 'SPY')).toBe(4);
    expectBookError(() => reserveForIntent(reserved, intent({ side: 'sell', quantity: 5, seq: 2 })), 'insufficient_position');
    expect(reserveForIntent(reserved, intent({ side: 'sell', quantity: 4, seq: 2 })).pendingSell).toEqual({ SPY: 10 });
  });

  it('refuses a sell of a symbol not held (no shorting)', () => {
    expectBookError(() => reserveForIntent(newTeamBook('alpha', DOLLAR), intent({ side: 'sell', quantity: 1 })), 'insufficient_position');
  });

  it("refuses another team's intent and non-whole quantities", () => {
    expectBookError(() => reserveForIntent(newTeamBook('beta', DOLLAR), intent()), 'wrong_team');
    expectBookError(() => reserveForIntent(newTeamBook('alpha', 100_000 * DOLLAR), intent({ quantity: 1.5 })), 'invalid_quantity');
    expectBookError(() => reserveForIntent(newTeamBook('alpha', 100_000 * DOLLAR), intent({ quantity: 0 })), 'invalid_quantity');
  });

  it('does not mutate its input', () => {
    const start = newTeamBook('alpha', 100_000 * DOLLAR);
    const frozen = structuredClone(start);
    reserveForIntent(start, intent());
    expect(start).toEqual(frozen);
  });
});

describe('releaseReservation', () => {
  it('releases a cancelled buy exactly at the price it reserved', () => {
    const order = intent({ quantity: 7, referencePrice: 123_4567 });
    const reserved = reserveForIntent(newTeamBook('alpha', 100_000 * DOLLAR), order);
    expect(releaseReservation(reserved, order, 7).reservedCash).toBe(0);
    expect(releaseReservation(reserved, order, 2).reservedCash).toBe(5 * 123_4567);
    expect(releaseReservation(reserved, order, 0)).toBe(reserved);
  });

  it('releases pending sell shares and drops the symbol at zero', () => {
    const sell = intent({ side: 'sell', quantity: 6, clientOrderId: 't-alpha-202501021432-1' });
    const reserved = reserveForIntent(holding(10, 100 * DOLLAR), sell);
    expect(releaseReservation(reserved, sell, 2).pendingSell).toEqual({ SPY: 4 });
    expect(releaseReservation(reserved, sell, 6).pendingSell).toEqual({});
  });

  it('refuses to release more than is reserved', () => {
    const order = intent({ quantity: 2 });
    const reserved = reserveForIntent(newTeamBook('alpha', 100_000 * DOLLAR), order);
    expectBookError(() => releaseReservation(reserved, order, 3), 'reservation_underflow');
    const sell = intent({ side: 'sell', quantity: 2 });
    expectBookError(() => releaseReservation(holding(5, DOLLAR), sell, 1), 'reservation_underflow');
  });
});

describe('applyFill', () => {
  it('a buy takes the notional from cash, adds it to the cost basis and releases its reservation', () => {
    const order = intent({ quantity: 10, referencePrice: 100 * DOLLAR });
    const reserved = reserveForIntent(newTeamBook('alpha', 100_000 * DOLLAR), order);
    const { book, closedTradePnl } = applyFill(reserved, fillOf(order, 10, 100_0500), order);
    expect(closedTradePnl).toBeNull();
    expect(book.cash).toBe(1_000_000_000 - 10_005_000);
    expect(book.reservedCash).toBe(0);
    expect(book.positions).toEqual({ SPY: { quantity: 10, costBasis: 10_005_000, realizedPnl: 0 } });
    expect(book.realizedPnl).toBe(0);
  });

  it('partial buy fills release the reservation proportionally, at the reservation price', () => {
    const order = intent({ quantity: 10, referencePrice: 100 * DOLLAR });
    let book = reserveForIntent(newTeamBook('alpha', 100_000 * DOLLAR), order);
    book = applyFill(book, fillOf(order, 3, 101 * DOLLAR), order).book;
    expect(book.reservedCash).toBe(7 * 100 * DOLLAR);
    book = applyFill(book, fillOf(order, 4, 99 * DOLLAR), order).book;
    expect(book.reservedCash).toBe(3 * 100 * DOLLAR);
    book = releaseReservation(book, order, 3);
    expect(book.reservedCash).toBe(0);
    expect(book.cash).toBe(1_000_000_000 - 3_030_000 - 3_960_000);
    expect(book.positions.SPY).toEqual({ quantity: 7, costBasis: 6_990_000, realizedPnl: 0 });
  });

  it('a fill after the rest of its order was released releases nothing more (reservedQuantity)', () => {
    const order = intent({ quantity: 10, referencePrice: 100 * DOLLAR });
    const other = intent({ quantity: 5, referencePrice: 50 * DOLLAR, seq: 2, clientOrderId: 't-alpha-202501021431-2' });
    let book = reserveForIntent(reserveForIntent(newTeamBook('alpha', 100_000 * DOLLAR), order), other);
    // The broker cancelled the order after filling 4 shares; the cancel arrived before the fill.
    book = releaseReservation(book, order, 6);
    book = applyFill(book, fillOf(order, 4, 100 * DOLLAR), order, 4).book;
    expect(book.reservedCash).toBe(5 * 50 * DOLLAR);
    // Nothing of the order is left reserved: a late fill must not eat the other order's reservation.
    const late = applyFill(book, fillOf(order, 1, 100 * DOLLAR, 'late'), order, 0).book;
    expect(late.reservedCash).toBe(5 * 50 * DOLLAR);
  });

  it('a sell realises proceeds minus the average cost of the shares sold', () => {
    let book = holding(3, 100 * DOLLAR);
    const second = intent({ quantity: 1, referencePrice: 110 * DOLLAR, clientOrderId: 't-alpha-202501021431-9' });
    book = applyFill(reserveForIntent(book, second), fillOf(second, 1, 110_0001), second).book;
    // 4 shares, cost 3 × 100 + 110.0001 = 410.0001 $, avg 102.500025 $
    expect(book.positions.SPY).toEqual({ quantity: 4, costBasis: 4_100_001, realizedPnl: 0 });
    const sell = intent({ side: 'sell', quantity: 1, clientOrderId: 't-alpha-202501021432-1' });
    const result = applyFill(reserveForIntent(book, sell), fillOf(sell, 1, 105 * DOLLAR), sell);
    // cost removed = round(4_100_001 × 1 / 4) = round(1_025_000.25) = 1_025_000
    expect(result.closedTradePnl).toBe(1_050_000 - 1_025_000);
    expect(result.book.positions.SPY).toEqual({ quantity: 3, costBasis: 3_075_001, realizedPnl: 25_000 });
    expect(result.book.realizedPnl).toBe(25_000);
    expect(result.book.pendingSell).toEqual({});
    expect(result.book.cash).toBe(book.cash + 1_050_000);
  });

  it('rounds the cost removed half up and removes all of it when the position closes', () => {
    // cost basis 10 units over 4 shares: selling 1 removes round(2.5) = 3, selling 2 removes exactly 5
    const base: TeamBook = { ...newTeamBook('alpha', 0), positions: { SPY: { quantity: 4, costBasis: 10, realizedPnl: 0 } } };
    const sellOne = intent({ side: 'sell', quantity: 1 });
    const one = applyFill(base, fillOf(sellOne, 1, 2), sellOne, 0);
    expect(one.closedTradePnl).toBe(2 - 3);
    expect(one.book.positions.SPY).toEqual({ quantity: 3, costBasis: 7, realizedPnl: -1 });
    const sellRest = intent({ side: 'sell', quantity: 3, seq: 2 });
    const rest = applyFill(one.book, fillOf(sellRest, 3, 2), sellRest, 0);
    expect(rest.closedTradePnl).toBe(6 - 7);
    expect(rest.book.positions.SPY).toEqual({ quantity: 0, costBasis: 0, realizedPnl: -2 });
    expect(rest.book.cash).toBe(8);
    expect(rest.book.realizedPnl).toBe(-2);
  });

  it('stays exact where costBasis × quantity exceeds 2^53', () => {
    const held = 3_000_000;
    const costBasis = 9_007_199_254_740; // ≈ 900 million dollars
    const base: TeamBook = { ...newTeamBook('alpha', 0), positions: { SPY: { quantity: held, costBasis, realizedPnl: 0 } } };
    const sell = intent({ side: 'sell', quantity: 1_234_567 });
    const { book } = applyFill(base, fillOf(sell, 1_234_567, 1), sell, 0);
    const exactRemoved = (BigInt(costBasis) * 1_234_567n * 2n + BigInt(held)) / (2n * BigInt(held));
    expect(BigInt(costBasis - book.positions.SPY!.costBasis)).toBe(exactRemoved);
  });

  it('a round trip of many partial fills keeps cash + cost basis − realised P&L equal to the starting cash', () => {
    let book = newTeamBook('alpha', 100_000 * DOLLAR);
    const buy = intent({ quantity: 97, referencePrice: toMoney(201.37) });
    book = reserveForIntent(book, buy);
    for (const [q, p] of [
      [13, 201_3700],
      [50, 201_4100],
      [34, 201_2999],
    ] as const)
      book = applyFill(book, fillOf(buy, q, p), buy).book;
    const sell = intent({ side: 'sell', quantity: 97, clientOrderId: 't-alpha-202501021433-1' });
    book = reserveForIntent(book, sell);
    for (const [q, p] of [
      [31, 203_0001],
      [31, 199_9999],
      [35, 202_0000],
    ] as const)
      book = applyFill(book, fillOf(sell, q, p), sell).book;
    expect(book.positions.SPY).toEqual({ quantity: 0, costBasis: 0, realizedPnl: book.realizedPnl });
    expect(book.cash).toBe(1_000_000_000 + book.realizedPnl);
    expect(book.reservedCash).toBe(0);
    expect(book.pendingSell).toEqual({});
  });

  it('refuses a buy fill beyond cash and a sell fill beyond the position', () => {
    const order = intent({ quantity: 10, referencePrice: 100 * DOLLAR });
    const reserved = reserveForIntent(newTeamBook('alpha', 1_000 * DOLLAR), order);
    expectBookError(() => applyFill(reserved, fillOf(order, 10, 100_0001), order), 'insufficient_cash');
    expect(applyFill(reserved, fillOf(order, 10, 100 * DOLLAR), order).book.cash).toBe(0);
    const sell = intent({ side: 'sell', quantity: 11 });
    expectBookError(() => applyFill(holding(10, DOLLAR), fillOf(sell, 11, DOLLAR), sell, 0), 'insufficient_position');
  });

  it('refuses a fill that is not for the given order, and bad quantities or prices', () => {
    const order = intent();
    const book = reserveForIntent(newTeamBook('alpha', 100_000 * DOLLAR), order);
    expectBookError(() => applyFill(book, { ...fillOf(order, 1, DOLLAR), symbol: 'QQQ' }, order), 'mismatched_fill');
    expectBookError(() => applyFill(book, { ...fillOf(order, 1, DOLLAR), side: 'sell' }, order), 'mismatched_fill');
    expectBookError(() => applyFill(book, { ...fillOf(order, 1, DOLLAR), clientOrderId: 'other' }, order), 'mismatched_fill');
    expectBookError(() => applyFill(book, fillOf(order, 0, DOLLAR), order), 'invalid_quantity');
    expect(() => applyFill(book, fillOf(order, 1, 0), order)).toThrow(RangeError);
    expect(() => applyFill(book, fillOf(order, 1, 1.5), order)).toThrow(RangeError);
  });
});

describe('markToMarket', () => {
  it('values positions at the given prices; equity = cash + positions value', () => {
    let book = holding(10, 100 * DOLLAR);
    const qqq = intent({ symbol: 'QQQ', quantity: 2, referencePrice: 400 * DOLLAR, clientOrderId: 't-alpha-202501021431-3' });
    book = applyFill(reserveForIntent(book, qqq), fillOf(qqq, 2, 400 * DOLLAR), qqq).book;
    const marked = markToMarket(book, { SPY: 101_2345, QQQ: 390 * DOLLAR, IWM: 1 });
    expect(marked).toEqual({
      positionsValue: 10 * 101_2345 + 2 * 390 * DOLLAR,
      equity: book.cash + 10 * 101_2345 + 2 * 390 * DOLLAR,
      unrealizedPnl: 10 * 1_2345 - 2 * 10 * DOLLAR,
      unpricedSymbols: [],
    });
    expect(book.cash).toBe(1_000_000_000 - 1_000 * DOLLAR - 800 * DOLLAR);
  });

  it('values a symbol without a price at cost and says so', () => {
    const book = holding(10, 100 * DOLLAR);
    expect(markToMarket(book, {})).toEqual({
      positionsValue: 1_000 * DOLLAR,
      equity: 100_000 * DOLLAR,
      unrealizedPnl: 0,
      unpricedSymbols: ['SPY'],
    });
  });

  it('ignores closed positions and counts reserved cash as cash', () => {
    const base: TeamBook = { ...newTeamBook('alpha', 5 * DOLLAR), reservedCash: 3 * DOLLAR, positions: { SPY: { quantity: 0, costBasis: 0, realizedPnl: 7 } } };
    expect(markToMarket(base, {})).toEqual({ positionsValue: 0, equity: 5 * DOLLAR, unrealizedPnl: 0, unpricedSymbols: [] });
  });
});
