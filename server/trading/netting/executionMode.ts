import type { Registry } from '../../../registry/schema.ts';

export type ExecutionMode = 'netted' | 'per-team';

/**
 * `competition.execution` when the registry sets it; otherwise netted with `broker.kind: alpaca` (many teams
 * share one account, where per-team orders collide as wash trades: README "Trading on Alpaca") and per-team
 * with the simulated broker (no account to share; a backtest follows the registry either way).
 */
export function executionMode(competition: Pick<Registry['competition'], 'broker'> & { execution?: ExecutionMode | undefined }): ExecutionMode {
  return competition.execution ?? (competition.broker.kind === 'alpaca' ? 'netted' : 'per-team');
}
