/**
 * Turns one team's signals of one minute into order intents, or rejections with exact reasons.
 * Pure: everything it needs is passed in. Signals are checked in the order the strategy returned
 * them; cash and shares promised to an earlier signal of the same minute are not available to a
 * later one, exactly as if the orders had been sent one by one.
 *
 * The account is a cash account: no shorting (a sell is limited to the shares held net of sells
 * already pending) and no margin (a buy is limited to cash net of cash reserved by open buy
 * orders and by earlier buys of this minute).
 */
import { clientOrderId } from '../clientOrderId.ts';
import { MONEY_SCALE, notional, toMoney, type Money } from '../money.ts';
import type { OrderIntent, TeamBook } from '../types.ts';
import { formatDollars } from './formatMoney.ts';
import { isMalformed, type OrderRejection, type ReturnedSignal } from './rejection.ts';

/** Whole shares above this are refused outright: no real order is that large, and notionals stay exact. */
export const MAX_ORDER_QUANTITY = 1_000_000_000;
/** A limit price must lie within this fraction of the current price. */
export const DEFAULT_PRICE_BAND = 0.1;

/** Current prices by symbol; a Map fits, or a view computing them on demand. */
export interface PriceLookup {
  get(symbol: string): Money | undefined;
}

export interface ValidationContext {
  teamId: string;
  /** Epoch ms of the minute whose bars the strategy saw. */
  minute: number;
  /** Symbols of the competition. */
  universe: ReadonlySet<string>;
  /** The current price of each symbol (what the strategy got as `currentPrices`), exact. Absent: not known. */
  prices: PriceLookup;
  /** The team's books: cash, cash reserved by its open buy orders, positions, shares in open sell orders. */
  book: Pick<TeamBook, 'cash' | 'reservedCash' | 'positions' | 'pendingSell'>;
  /**
   * Cash held back beyond `book.reservedCash`: the market-buy buffer of the team's open market buys
   * (the books reserve those at the current price only). Default 0.
   */
  extraReservedCash?: Money;
  /** Default 0.10. */
  priceBand?: number;
  /**
   * Extra cash a market buy needs beyond quantity × current price, in basis points: the price
   * collar of the broker (a market buy never fills above current price × (1 + collar)), so a fill
   * can never overdraw the team. Default 0.
   */
  marketBuyBufferBps?: number;
}

export interface ValidationResult {
  intents: OrderIntent[];
  rejections: OrderRejection[];
}

/** Limit prices onto the exchange tick: a cent from $1 up, a hundredth of a cent below (Reg NMS sub-penny rule). */
export function roundToTick(price: Money): Money {
  if (price >= MONEY_SCALE) return Math.round(price / 100) * 100;
  return price;
}

/** The highest per-share price a market buy may fill at under a collar of `bps` basis points, on the Money grid. */
export function marketBuyCeiling(referencePrice: Money, bps: number): Money {
  return bps === 0 ? referencePrice : Math.ceil((referencePrice * (10_000 + bps)) / 10_000);
}

/** Cash a buy ties up until it fills or ends: at its limit, or (market) at the collar ceiling per share. */
export function cashToReserve(quantity: number, limitPrice: Money | null, referencePrice: Money, marketBuyBufferBps = 0): Money {
  return notional(quantity, limitPrice ?? marketBuyCeiling(referencePrice, marketBuyBufferBps));
}

const shares = (n: number): string => `${n.toLocaleString('en-US')} share${n === 1 ? '' : 's'}`;

/** Each entry is judged on its own: a malformed or refused one is rejected with its reason, the others go on. */
export function validateSignals(signals: readonly ReturnedSignal[], context: ValidationContext): ValidationResult {
  const band = context.priceBand ?? DEFAULT_PRICE_BAND;
  const buffer = context.marketBuyBufferBps ?? 0;
  const intents: OrderIntent[] = [];
  const rejections: OrderRejection[] = [];
  let cashAvailable = context.book.cash - context.book.reservedCash - (context.extraReservedCash ?? 0);
  const sellsThisMinute = new Map<string, number>();

  signals.forEach((signal, index) => {
    const reject = (code: OrderRejection['code'], message: string): void => {
      rejections.push({ index, signal, code, message });
    };
    if (isMalformed(signal)) {
      reject('invalid_signal', signal.malformed);
      return;
    }
    const { symbol, action, quantity } = signal;
    if (!context.universe.has(symbol)) {
      reject('unknown_symbol', `${String(symbol)} is not in the competition's universe`);
      return;
    }
    if (action !== 'buy' && action !== 'sell') {
      reject('bad_side', `action must be 'buy' or 'sell', got ${JSON.stringify(action)}`);
      return;
    }
    if (!Number.isInteger(quantity) || quantity <= 0 || quantity > MAX_ORDER_QUANTITY) {
      reject('bad_quantity', `quantity must be a whole number of shares from 1 to ${MAX_ORDER_QUANTITY.toLocaleString('en-US')}, got ${String(quantity)}`);
      return;
    }
    const current = context.prices.get(symbol);
    if (current === undefined || current <= 0) {
      reject('no_price', `no current price for ${symbol} this minute, so the order cannot be checked`);
      return;
    }
    let limitPrice: Money | null = null;
    if (signal.price !== undefined) {
      limitPrice = roundToTick(toMoney(signal.price));
      if (limitPrice <= 0 || Math.abs(limitPrice - current) > current * band) {
        reject('price_band', `limit price ${formatDollars(limitPrice)} for ${symbol} is more than ${String(band * 100)}% away from the current price ${formatDollars(current)}`);
        return;
      }
    }

    if (action === 'buy') {
      // Beyond any cash a team could have: refuse before the exact arithmetic would overflow.
      if (quantity * Math.max(limitPrice ?? 0, current) > Number.MAX_SAFE_INTEGER / 2) {
        reject('insufficient_cash', `buy ${shares(quantity)} of ${symbol} costs more than any account holds; cash available ${formatDollars(cashAvailable)}`);
        return;
      }
      const needed = cashToReserve(quantity, limitPrice, current, buffer);
      if (needed > cashAvailable) {
        const at = limitPrice === null ? `at about ${formatDollars(current)}` : `at limit ${formatDollars(limitPrice)}`;
        reject(
          'insufficient_cash',
          `buy ${shares(quantity)} of ${symbol} ${at} needs ${formatDollars(needed)}, cash available ${formatDollars(cashAvailable)} (cash ${formatDollars(context.book.cash)} minus open orders and earlier orders this minute)`,
        );
        return;
      }
      cashAvailable -= needed;
    } else {
      const held = context.book.positions[symbol]?.quantity ?? 0;
      const pending = (context.book.pendingSell[symbol] ?? 0) + (sellsThisMinute.get(symbol) ?? 0);
      const sellable = Math.max(0, held - pending);
      if (quantity > sellable) {
        reject(
          'insufficient_position',
          `sell ${shares(quantity)} of ${symbol}: ${shares(sellable)} available (held ${String(held)}, ${String(pending)} already in open sell orders); no short selling`,
        );
        return;
      }
      sellsThisMinute.set(symbol, (sellsThisMinute.get(symbol) ?? 0) + quantity);
    }

    const seq = index + 1;
    intents.push({
      clientOrderId: clientOrderId(context.teamId, context.minute, seq),
      teamId: context.teamId,
      minute: context.minute,
      seq,
      symbol,
      side: action,
      quantity,
      type: limitPrice === null ? 'market' : 'limit',
      limitPrice,
      referencePrice: current,
      reason: signal.reason ?? null,
    });
  });
  return { intents, rejections };
}
