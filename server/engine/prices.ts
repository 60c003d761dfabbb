/** The minute's prices (dollars, as strategies see them) as exact Money, converted once per symbol. */
import { toMoney, type Money } from '../trading/money.ts';
import type { PriceLookup } from '../trading/orders/validate.ts';

export interface MinutePrices extends PriceLookup {
  /** Every symbol's price, or only those of `symbols`. */
  record(symbols?: Iterable<string>): Record<string, Money>;
}

export function moneyPrices(prices: Readonly<Record<string, number>>): MinutePrices {
  const cache = new Map<string, Money>();
  const get = (symbol: string): Money | undefined => {
    let money = cache.get(symbol);
    if (money === undefined) {
      const dollars = prices[symbol];
      if (dollars === undefined) return undefined;
      money = toMoney(dollars);
      cache.set(symbol, money);
    }
    return money;
  };
  return {
    get,
    record: (symbols = Object.keys(prices)) => {
      const out: Record<string, Money> = {};
      for (const symbol of symbols) {
        const price = get(symbol);
        if (price !== undefined) out[symbol] = price;
      }
      return out;
    },
  };
}
