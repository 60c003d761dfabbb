/**
 * Money is exact: an integer count of 1/10,000 dollar (a hundredth of a cent). Prices are
 * rounded to that grid when they enter the books (Alpaca quotes at most 4 decimals), quantities
 * are whole shares, so every notional `quantity × price` is an exact integer and cash never drifts.
 * Postgres stores the same amounts as NUMERIC(20,4).
 */
export type Money = number;

export const MONEY_SCALE = 10_000;

/** Dollars (a float from a feed or a strategy) onto the exact grid, half away from zero. */
export function toMoney(dollars: number): Money {
  if (!Number.isFinite(dollars)) throw new RangeError(`not a finite amount: ${dollars}`);
  const scaled = Math.round(Math.abs(dollars) * MONEY_SCALE);
  if (!Number.isSafeInteger(scaled)) throw new RangeError(`amount out of range: ${dollars}`);
  return dollars < 0 ? -scaled : scaled;
}

export function toDollars(money: Money): number {
  return money / MONEY_SCALE;
}

/** `quantity × price` exactly (both already exact). */
export function notional(quantity: number, price: Money): Money {
  const value = quantity * price;
  if (!Number.isSafeInteger(value)) throw new RangeError(`notional out of range: ${quantity} × ${price}`);
  return value;
}

/** "1234.5678" — for NUMERIC(20,4) columns and JSON, never through a float. */
export function moneyToDecimalString(money: Money): string {
  const sign = money < 0 ? '-' : '';
  const abs = Math.abs(money);
  return `${sign}${Math.trunc(abs / MONEY_SCALE)}.${String(abs % MONEY_SCALE).padStart(4, '0')}`;
}

/** Parses a NUMERIC(…,4) string from Postgres exactly. */
export function decimalStringToMoney(text: string): Money {
  const match = /^(-?)(\d+)(?:\.(\d{1,4}))?$/.exec(text.trim());
  if (!match) throw new RangeError(`not a decimal amount with at most 4 places: ${text}`);
  const [, sign, whole, fraction = ''] = match;
  const value = Number(whole) * MONEY_SCALE + Number(fraction.padEnd(4, '0'));
  if (!Number.isSafeInteger(value)) throw new RangeError(`amount out of range: ${text}`);
  return sign === '-' ? -value : value;
}
