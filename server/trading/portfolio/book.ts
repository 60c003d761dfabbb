/**
 * A team's virtual portfolio as pure, exact arithmetic: a cash account (no shorting, no margin),
 * whole shares, average-cost accounting. Every function returns a new book and never mutates its input,
 * so the same code runs in the backtest (in memory) and in the live ledger (inside a Postgres transaction).
 *
 * Invariants kept here, enforced by throwing `BookError` (validation and risk upstream must already
 * have prevented every one of them, so a throw means a bug or a broker acting on its own):
 *  - cash ≥ 0, 0 ≤ reservedCash ≤ cash at reservation time;
 *  - 0 ≤ pendingSell[symbol] ≤ positions[symbol].quantity at reservation time; quantities ≥ 0.
 */
import { notional, type Money } from '../money.ts';
import type { Fill, OrderIntent, PositionBook, TeamBook } from '../types.ts';

export type BookErrorKind =
  | 'insufficient_cash' // a buy would take cash below zero, or reserve more than the unreserved cash
  | 'insufficient_position' // a sell of more shares than held (or than held and not already promised)
  | 'reservation_underflow' // releasing more than is reserved
  | 'mismatched_fill' // the fill is not for the intent it is applied with (order id, symbol or side differ)
  | 'wrong_team' // the intent belongs to another team's book
  | 'invalid_quantity'; // not a whole number of shares > 0 (or ≥ 0 where zero is allowed)

export class BookError extends Error {
  override name = 'BookError';
  readonly kind: BookErrorKind;
  readonly teamId: string;
  constructor(kind: BookErrorKind, teamId: string, message: string) {
    super(`${teamId}: ${message}`);
    this.kind = kind;
    this.teamId = teamId;
  }
}

export function newTeamBook(teamId: string, startingCash: Money): TeamBook {
  if (!Number.isSafeInteger(startingCash) || startingCash < 0) {
    throw new RangeError(`starting cash must be a non-negative exact amount, got ${startingCash}`);
  }
  return { teamId, cash: startingCash, reservedCash: 0, positions: {}, realizedPnl: 0, pendingSell: {} };
}

/** Cash not promised to open buy orders: what a new buy may spend. */
export function availableCash(book: TeamBook): Money {
  return book.cash - book.reservedCash;
}

/** Shares of `symbol` held and not promised to open sell orders: what a new sell may sell. */
export function availableQuantity(book: TeamBook, symbol: string): number {
  return (book.positions[symbol]?.quantity ?? 0) - (book.pendingSell[symbol] ?? 0);
}

/** The per-share price a buy reserves cash at: its limit, else the price the decision was made at. */
export function reservationPrice(intent: OrderIntent): Money {
  return intent.limitPrice ?? intent.referencePrice;
}

/** Cash a buy intent reserves when it is recorded (0 for sells, which reserve shares instead). */
export function reservationFor(intent: OrderIntent): Money {
  return intent.side === 'buy' ? notional(intent.quantity, reservationPrice(intent)) : 0;
}

/** Records an open order's claim: cash for a buy, shares for a sell. */
export function reserveForIntent(book: TeamBook, intent: OrderIntent): TeamBook {
  assertSameTeam(book, intent);
  assertShares(book, intent.quantity, 'order quantity', false);
  if (intent.side === 'buy') {
    const amount = reservationFor(intent);
    if (amount > availableCash(book)) {
      throw new BookError(
        'insufficient_cash',
        book.teamId,
        `buy ${intent.quantity} ${intent.symbol} (${intent.clientOrderId}) needs ${amount} reserved but only ${availableCash(book)} is unreserved (1/10,000 $)`,
      );
    }
    return { ...book, reservedCash: book.reservedCash + amount };
  }
  const free = availableQuantity(book, intent.symbol);
  if (intent.quantity > free) {
    throw new BookError(
      'insufficient_position',
      book.teamId,
      `sell ${intent.quantity} ${intent.symbol} (${intent.clientOrderId}) but only ${free} shares are held and not already being sold`,
    );
  }
  return withPendingSell(book, intent.symbol, (book.pendingSell[intent.symbol] ?? 0) + intent.quantity);
}

/**
 * Gives back the claim of `quantity` shares of an order that will not fill (cancel, reject, expiry),
 * at the same per-share price the claim was made at, so reserve + fills + release always net to zero.
 */
export function releaseReservation(book: TeamBook, intent: OrderIntent, quantity: number): TeamBook {
  assertSameTeam(book, intent);
  assertShares(book, quantity, 'released quantity', true);
  if (quantity === 0) return book;
  if (intent.side === 'buy') {
    const amount = notional(quantity, reservationPrice(intent));
    if (amount > book.reservedCash) {
      throw new BookError('reservation_underflow', book.teamId, `release of ${amount} exceeds reserved cash ${book.reservedCash}`);
    }
    return { ...book, reservedCash: book.reservedCash - amount };
  }
  const pending = book.pendingSell[intent.symbol] ?? 0;
  if (quantity > pending) {
    throw new BookError('reservation_underflow', book.teamId, `release of ${quantity} ${intent.symbol} exceeds the ${pending} shares pending sale`);
  }
  return withPendingSell(book, intent.symbol, pending - quantity);
}

export interface AppliedFill {
  book: TeamBook;
  /** Realised P&L of a sell (proceeds − average cost of the shares sold); null for a buy. */
  closedTradePnl: Money | null;
}

/**
 * Applies one execution of `intent`'s order. `reservedQuantity` is how many of the order's shares are
 * still reserved (the ledger tracks it per order; it defaults to the whole fill): the fill releases the
 * claim of at most that many shares, so a fill arriving after its order's cancel released the rest never
 * releases twice.
 */
export function applyFill(book: TeamBook, fill: Fill, intent: OrderIntent, reservedQuantity: number = fill.quantity): AppliedFill {
  assertSameTeam(book, intent);
  if (fill.clientOrderId !== intent.clientOrderId || fill.symbol !== intent.symbol || fill.side !== intent.side) {
    throw new BookError(
      'mismatched_fill',
      book.teamId,
      `fill ${fill.executionId} (${fill.clientOrderId} ${fill.side} ${fill.symbol}) does not belong to order ${intent.clientOrderId} (${intent.side} ${intent.symbol})`,
    );
  }
  assertShares(book, fill.quantity, 'fill quantity', false);
  assertShares(book, reservedQuantity, 'reserved quantity', true);
  if (!Number.isSafeInteger(fill.price) || fill.price <= 0) {
    throw new RangeError(`fill ${fill.executionId}: price must be a positive exact amount, got ${fill.price}`);
  }
  const released = releaseReservation(book, intent, Math.min(fill.quantity, reservedQuantity));
  const amount = notional(fill.quantity, fill.price);
  const position = released.positions[fill.symbol] ?? { quantity: 0, costBasis: 0, realizedPnl: 0 };

  if (fill.side === 'buy') {
    if (amount > released.cash) {
      throw new BookError(
        'insufficient_cash',
        book.teamId,
        `fill ${fill.executionId}: buying ${fill.quantity} ${fill.symbol} for ${amount} exceeds cash ${released.cash} (1/10,000 $)`,
      );
    }
    const next = withPosition(released, fill.symbol, {
      quantity: position.quantity + fill.quantity,
      costBasis: position.costBasis + amount,
      realizedPnl: position.realizedPnl,
    });
    return { book: { ...next, cash: released.cash - amount }, closedTradePnl: null };
  }

  if (fill.quantity > position.quantity) {
    throw new BookError('insufficient_position', book.teamId, `fill ${fill.executionId}: selling ${fill.quantity} ${fill.symbol} but only ${position.quantity} are held`);
  }
  const remaining = position.quantity - fill.quantity;
  const costRemoved = remaining === 0 ? position.costBasis : proportionalCost(position.costBasis, fill.quantity, position.quantity);
  const pnl = amount - costRemoved;
  const next = withPosition(released, fill.symbol, {
    quantity: remaining,
    costBasis: position.costBasis - costRemoved,
    realizedPnl: position.realizedPnl + pnl,
  });
  return { book: { ...next, cash: released.cash + amount, realizedPnl: released.realizedPnl + pnl }, closedTradePnl: pnl };
}

export interface MarkToMarket {
  /** cash + positionsValue. Reserved cash is still the team's cash, so it counts. */
  equity: Money;
  positionsValue: Money;
  /** positionsValue − cost basis of the priced positions. */
  unrealizedPnl: Money;
  /** Held symbols with no price in the input: valued at their cost basis (no unrealised P&L), listed so it is visible. */
  unpricedSymbols: string[];
}

/**
 * Values the book at `prices`, which must be each symbol's last known price (the caller carries a
 * price forward when a minute has no bar for the symbol).
 */
export function markToMarket(book: TeamBook, prices: Readonly<Record<string, Money>>): MarkToMarket {
  let positionsValue = 0;
  let unrealizedPnl = 0;
  const unpricedSymbols: string[] = [];
  for (const symbol of Object.keys(book.positions).sort()) {
    const position = book.positions[symbol];
    if (!position || position.quantity === 0) continue;
    const price = prices[symbol];
    if (price === undefined) {
      unpricedSymbols.push(symbol);
      positionsValue += position.costBasis;
      continue;
    }
    const value = notional(position.quantity, price);
    positionsValue += value;
    unrealizedPnl += value - position.costBasis;
  }
  return { equity: book.cash + positionsValue, positionsValue, unrealizedPnl, unpricedSymbols };
}

/** round(costBasis × sold / held), half up, in exact integer arithmetic (the product can exceed 2^53). */
function proportionalCost(costBasis: Money, sold: number, held: number): Money {
  const numerator = BigInt(costBasis) * BigInt(sold);
  const denominator = BigInt(held);
  const quotient = numerator / denominator;
  const remainder = numerator % denominator;
  return Number(remainder * 2n >= denominator ? quotient + 1n : quotient);
}

function withPosition(book: TeamBook, symbol: string, position: PositionBook): TeamBook {
  return { ...book, positions: { ...book.positions, [symbol]: position } };
}

function withPendingSell(book: TeamBook, symbol: string, quantity: number): TeamBook {
  const pendingSell = { ...book.pendingSell };
  if (quantity === 0) delete pendingSell[symbol];
  else pendingSell[symbol] = quantity;
  return { ...book, pendingSell };
}

function assertSameTeam(book: TeamBook, intent: OrderIntent): void {
  if (intent.teamId !== book.teamId) {
    throw new BookError('wrong_team', book.teamId, `order ${intent.clientOrderId} belongs to team ${intent.teamId}`);
  }
}

function assertShares(book: TeamBook, quantity: number, what: string, zeroAllowed: boolean): void {
  if (!Number.isSafeInteger(quantity) || quantity < 0 || (!zeroAllowed && quantity === 0)) {
    throw new BookError('invalid_quantity', book.teamId, `${what} must be a whole number of shares${zeroAllowed ? ' ≥ 0' : ' > 0'}, got ${quantity}`);
  }
}
