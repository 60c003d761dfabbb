import type { Signal } from '../../../sandbox/index.ts';

/** Why a signal did not become an order: checked by orders/validate.ts, then by risk/limits.ts. */
export type RejectionCode =
  // validation (orders/validate.ts)
  | 'unknown_symbol'
  | 'bad_side'
  | 'bad_quantity'
  | 'no_price'
  | 'price_band'
  | 'insufficient_cash'
  | 'insufficient_position'
  // risk (risk/limits.ts)
  | 'kill_switch'
  | 'daily_loss_halt'
  | 'max_orders_per_minute'
  | 'max_trades_per_day'
  | 'max_order_notional'
  | 'max_position';

export interface OrderRejection {
  /** Position of the signal in the team's list for the minute (0-based). */
  index: number;
  signal: Signal;
  code: RejectionCode;
  /** For the team: names the numbers that failed, e.g. "buy 10 SPY at 620.00 needs $6,200.00, cash available $5,000.00". */
  message: string;
}
