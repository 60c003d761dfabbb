/**
 * `GET /api/v1/admin/status`: every team's state on one page, for the admin console. One query for all
 * teams (not one request per team): halt, active and latest version, Git sync, the latest minute run
 * and the last strategy error, and whether the sandbox quarantined the strategy (its latest run says so).
 */
import type { FastifyInstance } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { readHaltState, type Halt } from '../../control/halts.ts';
import { errorSchema } from './adminSchemas.ts';

/** How many of a team's latest minutes are searched for its last error. */
export const LAST_ERROR_WINDOW = 60;
const TEXT_LIMIT = 500;

interface StatusRow {
  id: string;
  name: string;
  enabled: boolean;
  removed_at: Date | null;
  working_keys: number;
  active_id: string | null;
  active_sha: string | null;
  active_message: string | null;
  activated_at: Date | null;
  activated_by: string | null;
  activation_reason: string | null;
  latest_id: string | null;
  latest_sha: string | null;
  latest_status: string | null;
  latest_stage: string | null;
  latest_evaluated_at: Date | null;
  latest_findings: number | null;
  sync_checked_at: Date | null;
  sync_error_kind: string | null;
  sync_error: string | null;
  sync_failures: number | null;
  last_run_at: Date | null;
  last_run_error: { kind?: unknown; message?: unknown } | null;
  error_minute: Date | null;
  last_error: { kind?: unknown; message?: unknown } | null;
}

const STATUS_QUERY = `
SELECT t.id, t.name, t.enabled, t.removed_at,
       (SELECT count(*) FROM api_keys k
         WHERE k.team_id = t.id AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now()))::int AS working_keys,
       a.version_id::text AS active_id, v.commit_sha AS active_sha, v.message AS active_message,
       a.activated_at, a.activated_by, a.reason AS activation_reason,
       lv.id::text AS latest_id, lv.commit_sha AS latest_sha, lv.status AS latest_status, lv.rejected_at_stage AS latest_stage,
       lv.evaluated_at AS latest_evaluated_at, jsonb_array_length(lv.findings) AS latest_findings,
       s.checked_at AS sync_checked_at, s.error_kind AS sync_error_kind, s.error AS sync_error, s.failures AS sync_failures,
       r.minute AS last_run_at, r.error AS last_run_error, e.minute AS error_minute, e.error AS last_error
  FROM teams t
  LEFT JOIN team_active_versions a ON a.team_id = t.id
  LEFT JOIN strategy_versions v ON v.id = a.version_id
  LEFT JOIN LATERAL (SELECT id, commit_sha, status, rejected_at_stage, evaluated_at, findings
                       FROM strategy_versions WHERE team_id = t.id ORDER BY id DESC LIMIT 1) lv ON true
  LEFT JOIN team_git_sync s ON s.team_id = t.id
  LEFT JOIN LATERAL (SELECT minute, error FROM tick_team_runs WHERE team_id = t.id ORDER BY minute DESC LIMIT 1) r ON true
  LEFT JOIN LATERAL (SELECT minute, error
                       FROM (SELECT minute, error FROM tick_team_runs WHERE team_id = t.id ORDER BY minute DESC LIMIT ${LAST_ERROR_WINDOW}) w
                      WHERE error IS NOT NULL ORDER BY minute DESC LIMIT 1) e ON true
 ORDER BY t.id`;

const iso = (date: Date | null): string | null => (date === null ? null : date.toISOString());
const clip = (text: string): string => (text.length > TEXT_LIMIT ? `${text.slice(0, TEXT_LIMIT)}…` : text);
const firstLine = (text: string): string => clip(text.split('\n')[0] ?? '');
const haltJson = (halt: Halt | undefined | null) => (halt ? { reason: halt.reason, halted_at: halt.haltedAt.toISOString(), halted_by: halt.haltedBy } : null);

function runError(error: StatusRow['last_error']): { kind: string; message: string } | null {
  if (error === null) return null;
  return { kind: typeof error.kind === 'string' ? error.kind : 'unknown', message: clip(typeof error.message === 'string' ? error.message : '') };
}

export interface TeamStatus {
  id: string;
  name: string;
  enabled: boolean;
  removed_at: string | null;
  working_keys: number;
  halt: ReturnType<typeof haltJson>;
  active_version: { id: number; commit: string; message: string; activated_at: string | null; activated_by: string | null; reason: string | null } | null;
  latest_version: { id: number; commit: string; status: string; rejected_at_stage: string | null; evaluated_at: string | null; findings: number } | null;
  git_sync: { checked_at: string | null; error_kind: string | null; error: string | null; failures: number } | null;
  last_run_at: string | null;
  last_error: { minute: string | null; kind: string; message: string } | null;
  quarantine: { quarantined: boolean; reason: string | null };
}

export interface AdminStatus {
  competition: { halt: ReturnType<typeof haltJson> };
  teams: TeamStatus[];
}

/** Every team (removed ones included) with its state, and the competition's halt. */
export async function readAdminStatus(pg: PgPool): Promise<AdminStatus> {
  const [{ rows }, halts] = await Promise.all([pg.query<StatusRow>(STATUS_QUERY), readHaltState(pg)]);
  return {
    competition: { halt: haltJson(halts.competition) },
    teams: rows.map((row) => {
      const latestRunError = runError(row.last_run_error);
      const lastError = runError(row.last_error);
      return {
        id: row.id,
        name: row.name,
        enabled: row.enabled,
        removed_at: iso(row.removed_at),
        working_keys: row.working_keys,
        halt: haltJson(halts.teams.get(row.id)),
        active_version:
          row.active_id === null
            ? null
            : {
                id: Number(row.active_id),
                commit: row.active_sha ?? '',
                message: firstLine(row.active_message ?? ''),
                activated_at: iso(row.activated_at),
                activated_by: row.activated_by,
                reason: row.activation_reason,
              },
        latest_version:
          row.latest_id === null
            ? null
            : {
                id: Number(row.latest_id),
                commit: row.latest_sha ?? '',
                status: row.latest_status ?? 'unknown',
                rejected_at_stage: row.latest_stage,
                evaluated_at: iso(row.latest_evaluated_at),
                findings: row.latest_findings ?? 0,
              },
        git_sync:
          row.sync_checked_at === null
            ? null
            : {
                checked_at: iso(row.sync_checked_at),
                error_kind: row.sync_error_kind,
                error: row.sync_error === null ? null : clip(row.sync_error),
                failures: row.sync_failures ?? 0,
              },
        last_run_at: iso(row.last_run_at),
        last_error: lastError && { minute: iso(row.error_minute), ...lastError },
        quarantine: latestRunError?.kind === 'quarantined' ? { quarantined: true, reason: latestRunError.message } : { quarantined: false, reason: null },
      };
    }),
  };
}

const nullableString = { type: ['string', 'null'] } as const;
const haltSchema = {
  type: ['object', 'null'],
  required: ['reason', 'halted_at', 'halted_by'],
  properties: { reason: { type: 'string' }, halted_at: { type: 'string' }, halted_by: { type: 'string' } },
} as const;

const statusSchema = {
  type: 'object',
  required: ['competition', 'teams'],
  properties: {
    competition: { type: 'object', required: ['halt'], properties: { halt: haltSchema } },
    teams: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'name', 'enabled', 'removed_at', 'working_keys', 'halt', 'active_version', 'latest_version', 'git_sync', 'last_run_at', 'last_error', 'quarantine'],
        properties: {
          id: { type: 'string' },
          name: { type: 'string' },
          enabled: { type: 'boolean' },
          removed_at: nullableString,
          working_keys: { type: 'integer' },
          halt: haltSchema,
          active_version: {
            type: ['object', 'null'],
            properties: {
              id: { type: 'integer' },
              commit: { type: 'string' },
              message: { type: 'string' },
              activated_at: nullableString,
              activated_by: nullableString,
              reason: nullableString,
            },
          },
          latest_version: {
            type: ['object', 'null'],
            properties: {
              id: { type: 'integer' },
              commit: { type: 'string' },
              status: { type: 'string' },
              rejected_at_stage: nullableString,
              evaluated_at: nullableString,
              findings: { type: 'integer' },
            },
          },
          git_sync: {
            type: ['object', 'null'],
            properties: { checked_at: nullableString, error_kind: nullableString, error: nullableString, failures: { type: 'integer' } },
          },
          last_run_at: nullableString,
          last_error: { type: ['object', 'null'], properties: { minute: nullableString, kind: { type: 'string' }, message: { type: 'string' } } },
          quarantine: { type: 'object', required: ['quarantined', 'reason'], properties: { quarantined: { type: 'boolean' }, reason: nullableString } },
        },
      },
    },
  },
} as const;

export function registerAdminStatusRoute(app: FastifyInstance, deps: { pg: PgPool; auth: Authenticator }): void {
  app.get(
    '/api/v1/admin/status',
    {
      onRequest: deps.auth.requireAdmin,
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: `Every team with its halt, active and latest version, Git sync state, latest minute, last strategy error (within its latest ${LAST_ERROR_WINDOW} minutes) and quarantine; and the competition's halt`,
        response: { 200: statusSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    () => readAdminStatus(deps.pg),
  );
}
