/**
 * A strategy's returned list, entry by entry, from the sandbox's result: its clean signals, and (when the
 * sandbox reports them, `TeamRunResult.invalidSignals`) the entries it could not read, put back at their
 * positions. So a malformed entry is rejected on its own with its reason, and the client order id of every
 * other signal keeps its position in the list.
 */
import type { TeamRunResult } from '../../sandbox/index.ts';
import type { ReturnedSignal } from '../trading/orders/rejection.ts';

/** An entry the sandbox could not read as a signal: its 0-based position and why (numbered from 1). */
export interface InvalidSignal {
  index: number;
  message: string;
}

export function returnedSignals(result: Pick<TeamRunResult, 'signals'> & { invalidSignals?: readonly InvalidSignal[] }): readonly ReturnedSignal[] {
  const invalid = result.invalidSignals;
  if (invalid === undefined || invalid.length === 0) return result.signals;
  const reasons = new Map(invalid.map((entry) => [entry.index, entry.message]));
  const entries: ReturnedSignal[] = [];
  let next = 0;
  for (let index = 0; index < result.signals.length + invalid.length; index++) {
    const reason = reasons.get(index);
    if (reason !== undefined) entries.push({ malformed: reason });
    else if (next < result.signals.length) entries.push(result.signals[next++]!);
  }
  return entries;
}
