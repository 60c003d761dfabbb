/** A team's strategy: `/api/v1/team/{id}/strategy` (versions, Git sync, runs, halt) and `/api/v1/team/{id}/logs` (its console output). */
import type { FastifyInstance } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { listVersions } from '../../../loaders/activation/versionStore.ts';
import { readSyncState } from '../../../loaders/git/syncState.ts';
import { readHaltState } from '../../control/halts.ts';
import { teamLogs, teamRunSummary } from '../../control/teamQueries.ts';
import { errorSchema, teamIdParams } from './adminSchemas.ts';
import { teamRefusals as refusals, teamSecurity as security, type TeamRouteDeps } from './teamRouteCommon.ts';

type StrategyVersion = Awaited<ReturnType<typeof listVersions>>[number];

const versionView = (v: StrategyVersion) => ({
  id: v.id,
  commit: v.commitSha,
  message: v.message,
  author: v.authorName,
  committed_at: v.committedAt.toISOString(),
  evaluated_at: v.evaluatedAt.toISOString(),
  status: v.status,
  rejected_at_stage: v.rejectedAtStage,
  findings: v.findings,
  error: v.error,
  timings: v.timings,
});

/** The answer of `/strategy`: the newest 20 versions, Git sync state, run summary and halts, read together. */
async function strategyStatus(pg: PgPool, teamId: string) {
  const [versions, sync, runs, halts] = await Promise.all([listVersions(pg, teamId, 20), readSyncState(pg, teamId), teamRunSummary(pg, teamId), readHaltState(pg)]);
  const active = versions.find((v) => v.status === 'active');
  const halt = halts.teams.get(teamId) ?? halts.competition;
  return {
    team_id: teamId,
    active_version: active ? versionView(active) : null,
    latest_evaluation: versions[0] ? versionView(versions[0]) : null,
    git_sync: sync && {
      head: sync.headSha,
      checked_at: sync.checkedAt.toISOString(),
      synced_at: sync.syncedAt?.toISOString() ?? null,
      error_kind: sync.errorKind,
      error: sync.error,
      failures: sync.failures,
    },
    last_run_at: runs.lastRunAt,
    last_error: runs.lastError,
    cpu_ms_per_minute: runs.cpuMsPerMinute,
    quarantine: runs.quarantine,
    halted: halt ? { scope: halts.teams.has(teamId) ? 'team' : 'competition', reason: halt.reason, since: halt.haltedAt.toISOString() } : null,
  };
}

const logsSchema = {
  type: 'object',
  required: ['team_id', 'logs', 'next_before'],
  properties: {
    team_id: { type: 'string' },
    logs: {
      type: 'array',
      items: { type: 'object', required: ['minute', 'lines'], properties: { minute: { type: 'string' }, lines: { type: 'array', items: {} } } },
    },
    next_before: { type: ['string', 'null'] },
  },
} as const;

export function registerTeamStrategyRoutes(app: FastifyInstance, deps: TeamRouteDeps): void {
  const { rateLimit } = deps;
  const onRequest = deps.auth.requireTeam('id');

  app.get<{ Params: { id: string } }>(
    '/api/v1/team/:id/strategy',
    {
      onRequest,
      config: { rateLimit },
      schema: {
        tags: ['team'],
        security,
        summary: "The strategy's status: active version, latest evaluation and its check findings, Git sync, last error, CPU per minute, quarantine, halt",
        params: teamIdParams,
        response: { 200: { type: 'object', additionalProperties: true }, ...refusals },
      },
    },
    (request) => strategyStatus(deps.pg, request.params.id),
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number; before?: string } }>(
    '/api/v1/team/:id/logs',
    {
      onRequest,
      config: { rateLimit },
      schema: {
        tags: ['team'],
        security,
        summary: "The strategy's captured console output, newest minute first, paged with ?before=",
        params: teamIdParams,
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 }, before: { type: 'string', format: 'date-time' }, key: { type: 'string' } },
        },
        response: { 200: logsSchema, 400: errorSchema, ...refusals },
      },
    },
    async (request) => {
      const page = await teamLogs(deps.pg, request.params.id, request.query.limit, request.query.before === undefined ? null : new Date(request.query.before));
      return { team_id: request.params.id, logs: page.entries, next_before: page.nextBefore };
    },
  );
}
