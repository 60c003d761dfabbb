import { MONEY_SCALE, type Money } from '../money.ts';

/** `$6,200.00`, `$0.1234`: at least cents, more digits only when the amount has them. For messages to people. */
export function formatDollars(money: Money): string {
  const sign = money < 0 ? '-' : '';
  const abs = Math.abs(money);
  const whole = Math.trunc(abs / MONEY_SCALE).toLocaleString('en-US');
  const fraction = String(abs % MONEY_SCALE)
    .padStart(4, '0')
    .replace(/0{1,2}$/, '');
  return `${sign}$${whole}.${fraction}`;
}
