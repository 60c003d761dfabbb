/**
 * Operating the competition, admin keys only: halt and resume the competition or a team, sync a
 * team's repository now, roll a team back to an earlier strategy version, the reconciliation report
 * and the recent ticks with their timings per stage.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { recordAuditEvent } from '../../../data/postgres/audit.ts';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { createLedger } from '../../ledger/ledger.ts';
import type { RedisClient } from '../../../data/redis/client.ts';
import { listVersions, rollbackToVersion, VersionError } from '../../../loaders/activation/versionStore.ts';
import type { TeamSyncResult } from '../../../loaders/git/syncTeam.ts';
import { UnknownTeamError } from '../../../loaders/git/gitSync.ts';
import { actorOf, type Authenticator } from '../../auth/authenticate.ts';
import { haltCompetition, haltTeam, HaltError, readHaltState, resumeCompetition, resumeTeam, type Halt, type HaltChange } from '../../control/halts.ts';
import { GitSyncUnavailableError } from '../../control/gitSyncRelay.ts';
import { listRecentTicks } from '../../control/teamQueries.ts';
import { HttpError } from '../plugins/index.ts';
import { errorSchema, teamIdParams } from './adminSchemas.ts';
import { registerAdminSandboxRoute } from './adminSandbox.ts';
import { registerAdminStatusRoute } from './adminStatus.ts';

export interface AdminOpsRouteDeps {
  pg: PgPool;
  redis: RedisClient;
  auth: Authenticator;
  /** The Git sync of this process; absent where it does not run (then sync-now answers 503). */
  syncNow?: (teamId?: string) => Promise<TeamSyncResult[]>;
  /** The activity stream key; default REDIS_KEYS.activityStream. */
  activityStream?: string;
  /** Prefix of the workers' sandbox health keys; default REDIS_KEYS.sandboxHealthPrefix. */
  sandboxHealthPrefix?: string;
}

const refusals = { 401: errorSchema, 403: errorSchema } as const;
const security = [{ bearer: [] }];
const anyObject = { type: 'object', additionalProperties: true } as const;
/** The reason is optional: without one (or without any body) the halt records DEFAULT_HALT_REASON. */
const reasonBody = {
  type: 'object',
  properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } },
} as const;

/** What a halt records when the admin gave no reason. */
export const DEFAULT_HALT_REASON = 'halted by an admin (no reason given)';

/**
 * A POST without a body (`curl -X POST …/halt`) reaches validation as `undefined`, which a body
 * schema refuses ("body must be object"); an absent body means "no options" here.
 */
function emptyBodyIsEmptyObject(request: FastifyRequest, _reply: FastifyReply, done: () => void): void {
  if (request.body === undefined || request.body === null) request.body = {};
  done();
}

const reasonOf = (body: { reason?: string } | undefined): string => body?.reason ?? DEFAULT_HALT_REASON;

const haltJson = (halt: Halt | null) => halt && { reason: halt.reason, halted_at: halt.haltedAt.toISOString(), halted_by: halt.haltedBy };
const changeJson = (change: HaltChange) => ({ changed: change.changed, halt: haltJson(change.halt), announced: change.announced });

const haltChangeSchema = {
  type: 'object',
  required: ['changed', 'halt', 'announced'],
  properties: {
    changed: { type: 'boolean' },
    announced: { type: 'boolean' },
    halt: { type: ['object', 'null'], properties: { reason: { type: 'string' }, halted_at: { type: 'string' }, halted_by: { type: 'string' } } },
  },
} as const;

/** Control errors to HTTP: a missing team is 404, an impossible change 409. */
function asHttpError(error: unknown): never {
  if (error instanceof HaltError) throw new HttpError(error.statusCode, error.code, error.message);
  if (error instanceof VersionError) throw new HttpError(/^team \S+ has no /.test(error.message) ? 404 : 409, 'version_refused', error.message);
  if (error instanceof UnknownTeamError) throw new HttpError(404, 'team_not_found', error.message);
  if (error instanceof GitSyncUnavailableError) throw new HttpError(503, 'git_sync_unavailable', error.message);
  throw error;
}

export function registerAdminOpsRoutes(app: FastifyInstance, deps: AdminOpsRouteDeps): void {
  const onRequest = deps.auth.requireAdmin;
  const control = { pg: deps.pg, redis: deps.redis, ...(deps.activityStream === undefined ? {} : { activityStream: deps.activityStream }) };
  const tags = ['admin'];

  app.get(
    '/api/v1/admin/halts',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'What is halted now',
        response: {
          200: {
            type: 'object',
            required: ['competition', 'teams'],
            properties: { competition: haltChangeSchema.properties.halt, teams: { type: 'object', additionalProperties: haltChangeSchema.properties.halt } },
          },
          ...refusals,
        },
      },
    },
    async () => {
      const state = await readHaltState(deps.pg);
      return { competition: haltJson(state.competition), teams: Object.fromEntries([...state.teams].map(([teamId, halt]) => [teamId, haltJson(halt)])) };
    },
  );

  app.post<{ Body: { reason?: string } }>(
    '/api/v1/admin/halt',
    {
      onRequest,
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags,
        security,
        summary: `Halts the whole competition from the next minute: no strategy runs, no order is sent. The body is optional; without a reason the halt records "${DEFAULT_HALT_REASON}"`,
        body: reasonBody,
        response: { 200: haltChangeSchema, 400: errorSchema, 409: errorSchema, ...refusals },
      },
    },
    async (request) => changeJson(await haltCompetition(control, { reason: reasonOf(request.body), actor: actorOf(request) }).catch(asHttpError)),
  );

  app.post(
    '/api/v1/admin/resume',
    { onRequest, schema: { tags, security, summary: 'Resumes the competition', response: { 200: haltChangeSchema, ...refusals } } },
    async (request) => changeJson(await resumeCompetition(control, actorOf(request))),
  );

  app.post<{ Params: { id: string }; Body: { reason?: string } }>(
    '/api/v1/admin/teams/:id/halt',
    {
      onRequest,
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags,
        security,
        summary: `Halts one team: its strategy stops running from the next minute. The body is optional; without a reason the halt records "${DEFAULT_HALT_REASON}"`,
        params: teamIdParams,
        body: reasonBody,
        response: { 200: haltChangeSchema, 400: errorSchema, 404: errorSchema, 409: errorSchema, ...refusals },
      },
    },
    async (request) => changeJson(await haltTeam(control, request.params.id, { reason: reasonOf(request.body), actor: actorOf(request) }).catch(asHttpError)),
  );

  app.post<{ Params: { id: string } }>(
    '/api/v1/admin/teams/:id/resume',
    { onRequest, schema: { tags, security, summary: 'Resumes one team', params: teamIdParams, response: { 200: haltChangeSchema, 404: errorSchema, ...refusals } } },
    async (request) => changeJson(await resumeTeam(control, request.params.id, actorOf(request)).catch(asHttpError)),
  );

  app.post<{ Body: { team?: string } | undefined }>(
    '/api/v1/admin/sync',
    {
      onRequest,
      preValidation: emptyBodyIsEmptyObject,
      schema: {
        tags,
        security,
        summary: "Fetches and evaluates a team's repository now (or every enabled team's); answers when done",
        body: { type: 'object', properties: { team: teamIdParams.properties.id } },
        response: { 200: { type: 'object', required: ['results'], properties: { results: { type: 'array', items: anyObject } } }, 404: errorSchema, 503: errorSchema, ...refusals },
      },
    },
    async (request) => {
      if (!deps.syncNow) throw new HttpError(503, 'git_sync_unavailable', 'the Git sync does not run in this process (qtc all runs it)');
      const team = request.body?.team;
      const results = await deps.syncNow(team).catch(asHttpError);
      // Who asked for it; what each sync found is audited by the sync itself (versions, failures).
      await recordAuditEvent(deps.pg, {
        actor: actorOf(request),
        kind: 'git.sync-requested',
        ...(team === undefined ? {} : { subject: team }),
        details: { outcomes: results.map((result) => ({ team: result.teamId, outcome: result.outcome, sha: result.sha })) },
      });
      return {
        results: results.map((result) =>
          result.outcome === 'activated' || result.outcome === 'rejected'
            ? { team_id: result.teamId, outcome: result.outcome, sha: result.sha, version_id: result.version.id, findings: result.version.findings, error: result.version.error }
            : { ...result, team_id: result.teamId },
        ),
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>(
    '/api/v1/admin/teams/:id/versions',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: "A team's evaluated versions, newest first (the targets of a rollback)",
        params: teamIdParams,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 200, default: 50 } } },
        response: { 200: { type: 'object', required: ['versions'], properties: { versions: { type: 'array', items: anyObject } } }, ...refusals },
      },
    },
    async (request) => ({ versions: await listVersions(deps.pg, request.params.id, request.query.limit) }),
  );

  app.post<{ Params: { id: string }; Body: { version_id?: number; sha?: string } }>(
    '/api/v1/admin/teams/:id/rollback',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'Makes an earlier version that passed every stage the active one again',
        params: teamIdParams,
        body: {
          type: 'object',
          properties: { version_id: { type: 'integer', minimum: 1 }, sha: { type: 'string', pattern: '^[0-9a-fA-F]{4,64}$' } },
          oneOf: [{ required: ['version_id'] }, { required: ['sha'] }],
        },
        response: { 200: { type: 'object', required: ['version'], properties: { version: anyObject } }, 400: errorSchema, 404: errorSchema, 409: errorSchema, ...refusals },
      },
    },
    async (request) => {
      const target = request.body.version_id !== undefined ? { versionId: request.body.version_id } : { sha: request.body.sha ?? '' };
      return { version: await rollbackToVersion(deps.pg, request.params.id, target, actorOf(request)).catch(asHttpError) };
    },
  );

  app.get<{ Querystring: { audit: boolean } }>(
    '/api/v1/admin/reconciliation',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'The latest broker-versus-books reconciliation report, broker events not attributed to any team, and (with ?audit=true) books recomputed from fills',
        querystring: { type: 'object', properties: { audit: { type: 'boolean', default: false } } },
        response: {
          200: {
            type: 'object',
            required: ['report', 'unattributed'],
            properties: {
              report: { type: ['object', 'null'], additionalProperties: true },
              unattributed: { type: 'array', items: anyObject },
              audit: { type: 'array', items: anyObject },
            },
          },
          ...refusals,
        },
      },
    },
    async (request) => {
      const ledger = createLedger(deps.pg);
      const [report, unattributed, audit] = await Promise.all([
        ledger.latestReconciliation(),
        ledger.listUnattributed(100),
        request.query.audit ? ledger.auditBooks() : Promise.resolve(undefined),
      ]);
      return {
        report: report && { ...report, checkedAt: new Date(report.checkedAt).toISOString() },
        unattributed,
        ...(audit === undefined ? {} : { audit }),
      };
    },
  );

  app.get<{ Querystring: { limit: number } }>(
    '/api/v1/admin/ticks',
    {
      onRequest,
      schema: {
        tags,
        security,
        summary: 'The latest minutes the job ran, newest first, with status, attempts and milliseconds per stage',
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1_000, default: 60 } } },
        response: { 200: { type: 'object', required: ['ticks'], properties: { ticks: { type: 'array', items: anyObject } } }, ...refusals },
      },
    },
    async (request) => ({ ticks: await listRecentTicks(deps.pg, request.query.limit) }),
  );

  registerAdminStatusRoute(app, { pg: deps.pg, auth: deps.auth });
  registerAdminSandboxRoute(app, { redis: deps.redis, auth: deps.auth, ...(deps.sandboxHealthPrefix === undefined ? {} : { keyPrefix: deps.sandboxHealthPrefix }) });
}
