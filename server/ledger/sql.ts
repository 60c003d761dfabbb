/**
 * Exact money and share columns of the ledger: NUMERIC and BIGINT arrive as text (`data/postgres/query.ts`)
 * and are converted here exactly: money through `decimalStringToMoney`, shares as safe integers.
 */
import { decimalStringToMoney, moneyToDecimalString, type Money } from '../trading/money.ts';

export function moneyColumn(text: string): Money {
  return decimalStringToMoney(text);
}

export function nullableMoneyColumn(text: string | null): Money | null {
  return text === null ? null : decimalStringToMoney(text);
}

/** A BIGINT share count as a safe integer. */
export function sharesColumn(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`share count out of range: ${text}`);
  return value;
}

export function moneyParam(money: Money): string {
  return moneyToDecimalString(money);
}

export function nullableMoneyParam(money: Money | null): string | null {
  return money === null ? null : moneyToDecimalString(money);
}
