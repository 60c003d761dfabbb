import type { Signal } from '../../../sandbox/index.ts';

/** Why a signal did not become an order: checked by orders/validate.ts, then by risk/limits.ts. */
export type RejectionCode =
  // validation (orders/validate.ts)
  | 'invalid_signal'
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

/**
 * An entry of a strategy's list that is not a signal at all (wrong shape or types): the sandbox leaves it
 * out of the signals and says why, numbered from 1 like every message here ("signal 2 (SPY): …").
 */
export interface MalformedSignal {
  malformed: string;
}

/** What a strategy returned, in its order: each entry is judged on its own, so one bad entry voids nothing else. */
export type ReturnedSignal = Signal | MalformedSignal;

export const isMalformed = (entry: ReturnedSignal): entry is MalformedSignal => 'malformed' in entry;

export interface OrderRejection {
  /** Position of the signal in the team's list for the minute (0-based). */
  index: number;
  signal: ReturnedSignal;
  code: RejectionCode;
  /** For the team: names the numbers that failed, e.g. "buy 10 SPY at 620.00 needs $6,200.00, cash available $5,000.00". */
  message: string;
}

/** A rejection as stored and shown: the signal's terms flattened (empty for a malformed entry). */
export interface RejectionRecord {
  index: number;
  symbol: string;
  action: string;
  quantity: number;
  code: string;
  message: string;
}

export function rejectionRecord(rejection: OrderRejection): RejectionRecord {
  const { index, signal, code, message } = rejection;
  if (isMalformed(signal)) return { index, symbol: '', action: '', quantity: 0, code, message };
  return { index, symbol: String(signal.symbol), action: String(signal.action), quantity: Number(signal.quantity), code, message };
}

/** The one way messages name a signal: numbered from 1, in the order the strategy returned them. */
export function rejectionText(record: RejectionRecord): string {
  if (record.code === 'invalid_signal') return record.message; // the sandbox's text already names it
  return `signal ${String(record.index + 1)} (${record.action} ${String(record.quantity)} ${record.symbol}): ${record.message}`;
}
