import type { Registry } from '../../../registry/schema.ts';

export type ExecutionMode = 'netted' | 'per-team';

/**
 * `competition.execution` when the registry sets it; otherwise per-team. (Netted becomes the default with
 * `broker.kind: alpaca` once the live worker keeps its net groups in Postgres: README "Trading on Alpaca".)
 */
export function executionMode(competition: Pick<Registry['competition'], 'broker'> & { execution?: ExecutionMode | undefined }): ExecutionMode {
  return competition.execution ?? 'per-team';
}
