/**
 * Stage "fills", first in every minute: orders from earlier minutes fill on this minute's bars (simulated
 * venue), or, with a streaming broker, the fills received so far are waited for.
 */
import type { Bar } from '../../data/market/bar.ts';
import type { SimMinuteResult } from '../trading/brokers/sim/simVenue.ts';
import type { Execution } from './ports.ts';

export interface FillsOutcome extends SimMinuteResult {
  /** Fills applied to the books by this call (a redone minute applies none twice). */
  applied: number;
  /** Fills the books would not apply, and why. */
  problems: Array<{ teamId: string | null; message: string }>;
}

export async function fillsStage(execution: Execution, minute: number, bars: ReadonlyMap<string, Bar>): Promise<FillsOutcome> {
  if (execution.kind === 'stream') {
    await execution.idle();
    return { fills: [], ended: [], applied: 0, problems: [] };
  }
  const result = execution.kind === 'netted' ? await execution.venue.settle(minute, bars) : await execution.venue.advance(minute, bars);
  let applied = 0;
  const problems: FillsOutcome['problems'] = [];
  for (const { fill, result: outcome } of result.fills) {
    if (outcome.outcome === 'applied') applied += 1;
    else if (outcome.outcome !== 'duplicate') problems.push({ teamId: outcome.teamId, message: `fill ${fill.executionId} ${outcome.outcome}: ${outcome.reason ?? ''}` });
  }
  return { ...result, applied, problems };
}
