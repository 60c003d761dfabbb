import { MONEY_SCALE, type Money } from '../../money.ts';

/**
 * Alpaca sends amounts as decimal strings ("174.78", "122011.09751111286868", "-0.98"). This parses
 * them onto the exact Money grid from the digits, never through a binary float: up to 4 decimals are
 * exact, more are rounded half away from zero (average prices and equity can carry many digits).
 */
export function alpacaDecimalToMoney(text: string): Money {
  const match = /^([+-]?)(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (match === null) throw new RangeError(`Alpaca sent ${JSON.stringify(text)}, which is not a decimal amount`);
  const [, sign, whole = '0', fraction = ''] = match;
  const kept = fraction.slice(0, 4).padEnd(4, '0');
  const roundUp = (fraction[4] ?? '0') >= '5';
  const magnitude = Number(whole) * MONEY_SCALE + Number(kept) + (roundUp ? 1 : 0);
  if (!Number.isSafeInteger(magnitude)) throw new RangeError(`Alpaca amount out of range: ${text}`);
  return sign === '-' && magnitude !== 0 ? -magnitude : magnitude;
}

/** Share quantities ("10", "-5"): whole shares only; a fractional quantity is an error we must see. */
export function alpacaWholeQuantity(text: string, what: string): number {
  const match = /^([+-]?)(\d+)(?:\.0*)?$/.exec(text.trim());
  if (match === null) throw new RangeError(`Alpaca sent ${what} ${JSON.stringify(text)}, which is not a whole number of shares`);
  const value = Number(match[2]);
  if (!Number.isSafeInteger(value)) throw new RangeError(`Alpaca ${what} out of range: ${text}`);
  return match[1] === '-' && value !== 0 ? -value : value;
}

/** Money as a limit price for Alpaca: "150.25", never a float's "150.24999999". */
export function moneyToAlpacaDecimal(money: Money): string {
  const sign = money < 0 ? '-' : '';
  const abs = Math.abs(money);
  const fraction = String(abs % MONEY_SCALE)
    .padStart(4, '0')
    .replace(/0+$/, '');
  return `${sign}${String(Math.trunc(abs / MONEY_SCALE))}${fraction === '' ? '' : `.${fraction}`}`;
}
