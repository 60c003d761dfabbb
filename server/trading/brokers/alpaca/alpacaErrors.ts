import { ApiError, FetchError } from '@alpacahq/alpaca-trade-api';
import { BrokerError, type BrokerErrorKind } from '../../types.ts';

/** What Alpaca answered, whichever way the SDK surfaced it. */
export interface AlpacaFailure {
  status: number | null;
  code: number | string | undefined;
  message: string;
}

export function describeFailure(error: unknown): AlpacaFailure | null {
  if (error instanceof ApiError) return { status: error.status, code: error.code, message: error.message };
  if (error instanceof FetchError) {
    const cause = error.cause as { name?: string; message?: string } | undefined;
    const why = cause?.name === 'TimeoutError' ? 'timed out' : (cause?.message ?? error.message);
    return { status: null, code: undefined, message: `no answer from Alpaca (${why})` };
  }
  return null;
}

/** The pure classification, separate from the SDK's classes so it is testable on plain values. */
export function classifyFailure(failure: AlpacaFailure): BrokerErrorKind {
  const { status, message } = failure;
  const text = message.toLowerCase();
  if (status === null) return 'unavailable';
  if (status === 422 && text.includes('client_order_id must be unique')) return 'duplicate_client_order_id';
  if (status === 403 && text.includes('wash trade')) return 'wash_trade';
  if (status === 403 && text.includes('insufficient buying power')) return 'insufficient_buying_power';
  if (status === 401) return 'unauthorized';
  if (status === 403) return /not authorized|forbidden|access key|credentials|permission/.test(text) || text === '' ? 'unauthorized' : 'rejected';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status === 408 || status >= 500) return 'unavailable';
  return 'rejected';
}

/**
 * Every SDK/HTTP failure as a BrokerError (the cause kept). Anything that is not an Alpaca answer or
 * a transport failure is a bug of ours and is rethrown untouched.
 */
export function toBrokerError(error: unknown, action: string): BrokerError {
  if (error instanceof BrokerError) return error;
  const failure = describeFailure(error);
  if (failure === null) throw error;
  const kind = classifyFailure(failure);
  const status = failure.status === null ? '' : ` (HTTP ${String(failure.status)}${failure.code === undefined ? '' : `, code ${String(failure.code)}`})`;
  return new BrokerError(kind, `Alpaca ${action}: ${failure.message}${status}`, failure.status, { cause: error });
}
