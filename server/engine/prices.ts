/** The minute's prices (dollars, as strategies see them) as exact Money, converted once per symbol. */
import { toMoney, type Money } from '../trading/money.ts';
import type { PriceLookup } from '../trading/orders/validate.ts';

export interface MinutePrices extends PriceLookup {
  /** Every symbol's price, or only those of `symbols`. */
  record(symbols?: Iterable<string>): Record<string, Money>;
}

/** A minute's prices as a record of dollars. */
export function moneyPrices(prices: Readonly<Record<string, number>>): MinutePrices {
  return moneyPricesOf(
    (symbol) => prices[symbol],
    () => Object.keys(prices),
  );
}

/** A minute's prices from a lookup of dollars by symbol and the list of every symbol priced. */
export function moneyPricesOf(dollarsOf: (symbol: string) => number | undefined, symbols: () => Iterable<string>): MinutePrices {
  const cache = new Map<string, Money>();
  const get = (symbol: string): Money | undefined => {
    let money = cache.get(symbol);
    if (money === undefined) {
      const dollars = dollarsOf(symbol);
      if (dollars === undefined) return undefined;
      money = toMoney(dollars);
      cache.set(symbol, money);
    }
    return money;
  };
  return {
    get,
    record: (only = symbols()) => {
      const out: Record<string, Money> = {};
      for (const symbol of only) {
        const price = get(symbol);
        if (price !== undefined) out[symbol] = price;
      }
      return out;
    },
  };
}
