/**
 * One order-router pass over due intents, as the shard jobs (their teams) and the books job (leftovers
 * of every team) run it.
 */
import { submitStage } from '../engine/submitStage.ts';
import type { SubmissionResult } from '../trading/router/orderRouter.ts';
import { tickNow, type TickEnvironment, type TickJobSpec } from './tickTypes.ts';

/**
 * Submits the due intents of `teamIds` (null: every team) in one router pass. With the simulated broker
 * an acceptance is pure, so every answer of the pass is recorded in one ledger transaction; a remote
 * broker's answers are recorded as they come, in small batches (the router's defaults).
 */
export async function submitPass(env: TickEnvironment, spec: TickJobSpec, teamIds: ReadonlySet<string> | null): Promise<SubmissionResult[]> {
  return submitStage({
    books: env.ledger,
    execution: env.execution,
    limiter: env.limiter,
    now: () => tickNow(spec),
    teamIds,
    onProblem: (problem) => env.log.warn({ problem: { kind: problem.kind, clientOrderId: problem.clientOrderId, message: problem.message } }, 'order router problem'),
  });
}
