/**
 * A team's own data, for its key (or an admin key; another team's key gets 403): the original API's
 * `/line/{team_key}` (JSON) and `/{team_key}` (one line of text), `/api/v1/team/{id}/history`,
 * `/metrics` and `/trades`, and the additions `/orders`, `/strategy` and `/logs`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { listVersions } from '../../../loaders/activation/versionStore.ts';
import { readSyncState } from '../../../loaders/git/syncState.ts';
import { looksLikeTeamKey } from '../../../registry/keys/format.ts';
import { presentedKey, type Authenticator } from '../../auth/authenticate.ts';
import { readHaltState } from '../../control/halts.ts';
import { countTrades, latestSnapshot, listTrades, teamLogs, teamRunSummary } from '../../control/teamQueries.ts';
import { windowedMetrics } from '../../leaderboard/standings.ts';
import { metricsView } from '../../leaderboard/view.ts';
import { errorSchema, teamIdParams } from './adminSchemas.ts';
import { historyQueryProperties, historyRange, keptHistory, sendJsonText, teamHistoryAnswer, type HistoryQuery } from './historyReply.ts';
import { daysLimitQuery, lineSchema, ordersSchema, teamHistorySchema, teamKeyParams, teamMetricsSchema, tradesSchema } from './liveSchemas.ts';
import { listOrdersByStatus, registerTeamDashboardRoutes, STATUS_FILTER_PATTERN, statusesOf, type TeamStreamDeps } from './teamDashboard.ts';

export interface TeamDataRouteDeps {
  pg: PgPool;
  auth: Authenticator;
  /** Requests per minute per key; default 300. */
  rateLimitPerMinute?: number;
  /** The team's live stream (`GET /api/v1/team/{id}/stream`); without it the route is absent. */
  stream?: TeamStreamDeps;
  /** Memory for answers of `/api/v1/team/{id}/history` (least recently used out); default 32 MiB. */
  historyCacheBytes?: number;
}

const DAY_MS = 86_400_000;
const refusals = { 401: errorSchema, 403: errorSchema, 429: errorSchema } as const;
const security = [{ bearer: [] }];

/** Team routes are counted per key (its public id part), not per address: a class behind one NAT is not one client. */
export function teamRateLimitKey(request: FastifyRequest): string {
  const key = presentedKey(request) ?? (request.params as { teamKey?: string }).teamKey;
  if (typeof key === 'string' && looksLikeTeamKey(key)) return `key:${key.slice(0, 'qtc_team_'.length + 12)}`;
  return `ip:${request.ip}`;
}

const usd = (value: number): string => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function registerTeamDataRoutes(app: FastifyInstance, deps: TeamDataRouteDeps): void {
  const rateLimit = { max: deps.rateLimitPerMinute ?? 300, timeWindow: 60_000, keyGenerator: teamRateLimitKey };
  const onRequest = deps.auth.requireTeam('id');

  /** The team a key in the path belongs to; answers 404 for what is not a key at all (any other one-segment path). */
  const teamOfPathKey = async (teamKey: string, reply: FastifyReply): Promise<string | null> => {
    if (!looksLikeTeamKey(teamKey)) {
      await reply.code(404).send({ error: 'not_found', message: `no route for GET /${teamKey.slice(0, 40)}` });
      return null;
    }
    const result = await deps.auth.authenticateKey(teamKey);
    if (!result.ok) {
      await reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'unauthorized', message: result.message });
      return null;
    }
    if (result.principal.kind !== 'team') {
      await reply.code(403).send({ error: 'forbidden', message: 'this route takes a team key' });
      return null;
    }
    return result.principal.teamId;
  };

  const lineOf = async (teamId: string) => {
    const [snapshot, trades] = await Promise.all([latestSnapshot(deps.pg, teamId), countTrades(deps.pg, teamId)]);
    return {
      team_id: teamId,
      snapshot: snapshot && {
        timestamp: snapshot.minute.toISOString(),
        cash: snapshot.cash,
        market_value: snapshot.equity,
        positions: Object.fromEntries(
          Object.entries(snapshot.positions).map(([symbol, position]) => [symbol, { quantity: position.quantity, value: position.value, price: position.price, cost_basis: position.costBasis }]),
        ),
      },
      metrics: { total_trades: trades },
    };
  };

  app.get<{ Params: { teamKey: string } }>(
    '/line/:teamKey',
    {
      config: { rateLimit },
      schema: {
        tags: ['team'],
        summary: "The team's latest book (cash, value, positions) by the key in the path (original API)",
        params: teamKeyParams,
        response: { 200: lineSchema, 404: errorSchema, ...refusals },
      },
    },
    async (request, reply) => {
      const teamId = await teamOfPathKey(request.params.teamKey, reply);
      if (teamId === null) return reply;
      return lineOf(teamId);
    },
  );

  // Static routes (/health, /leaderboard, /status, …) win over this parametric one in Fastify's router.
  app.get<{ Params: { teamKey: string } }>(
    '/:teamKey',
    {
      config: { rateLimit },
      schema: {
        tags: ['team'],
        summary: "One line of text about the team, by the key in the path (original API; for curl)",
        params: teamKeyParams,
        response: { 200: { type: 'string' }, 404: errorSchema, ...refusals },
      },
    },
    async (request, reply) => {
      const teamId = await teamOfPathKey(request.params.teamKey, reply);
      if (teamId === null) return reply;
      const line = await lineOf(teamId);
      const positions = Object.entries(line.snapshot?.positions ?? {}).map(([symbol, position]) => `["${symbol}", ${usd(position.value)}, ${position.quantity}]`);
      const text = line.snapshot
        ? `${teamId} | Cash: ${usd(line.snapshot.cash)} | Portfolio Value: ${usd(line.snapshot.market_value)} | Positions: [${positions.join(', ')}]`
        : `${teamId} | no snapshot yet: the first one is taken at the next market minute`;
      return reply.type('text/plain; charset=utf-8').send(`${text}\n`);
    },
  );

  const historyQuery = daysLimitQuery(1_000, 10_000);
  const kept = keptHistory(deps.historyCacheBytes ?? 32 * 1024 * 1024);
  app.get<{ Params: { id: string }; Querystring: HistoryQuery }>(
    '/api/v1/team/:id/history',
    {
      onRequest,
      config: { rateLimit },
      schema: {
        tags: ['team'],
        security,
        summary: "The team's equity over time (newest `limit` points of the last `days` days), optionally downsampled (`points`) or paged (`before`, `after`)",
        params: teamIdParams,
        querystring: { ...historyQuery, properties: { ...historyQuery.properties, ...historyQueryProperties } },
        response: { 200: teamHistorySchema, 400: errorSchema, ...refusals },
      },
    },
    async (request, reply) =>
      sendJsonText(reply, await teamHistoryAnswer(deps.pg, kept, request.params.id, historyRange(request.query), request.query.points)),
  );

  app.get<{ Params: { id: string }; Querystring: { days?: number } }>(
    '/api/v1/team/:id/metrics',
    {
      onRequest,
      config: { rateLimit },
      schema: {
        tags: ['team'],
        security,
        summary: 'Performance metrics (Sharpe, Sortino, Calmar, drawdowns, returns, trades) over the competition or the last `days` days',
        params: teamIdParams,
        querystring: { type: 'object', properties: { days: { type: 'integer', minimum: 1, maximum: 365 }, key: { type: 'string' } } },
        response: { 200: teamMetricsSchema, 400: errorSchema, ...refusals },
      },
    },
    async (request) => {
      const teamId = request.params.id;
      const days = request.query.days;
      const newest = await latestSnapshot(deps.pg, teamId);
      const since = days === undefined || newest === null ? 0 : newest.minute.getTime() - days * DAY_MS;
      const team = (await windowedMetrics(deps.pg, since, teamId)).get(teamId);
      if (!team) {
        return {
          team_id: teamId,
          metrics: { total_trades: 0, current_value: null, starting_value: null, period: { start: null, end: null, days: null, data_points: 0 } },
        };
      }
      const losing = team.metrics.tradeCount - Math.round((team.metrics.winRate ?? 0) * team.metrics.tradeCount);
      return {
        team_id: teamId,
        metrics: {
          ...metricsView(team.metrics, team.currentDrawdown),
          winning_trades: team.metrics.tradeCount - losing,
          losing_trades: losing,
          current_value: team.last,
          starting_value: team.first,
          peak_value: team.peak,
          trough_value: team.trough,
          period: {
            start: new Date(team.firstMinute).toISOString(),
            end: new Date(team.lastMinute).toISOString(),
            days: (team.lastMinute - team.firstMinute) / DAY_MS,
            data_points: team.metrics.observations + 1,
          },
        },
      };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>(
    '/api/v1/team/:id/trades',
    {
      onRequest,
      config: { rateLimit },
      schema: {
        tags: ['team'],
        security,
        summary: "The team's executions, newest first (numbers as exact decimal strings)",
        params: teamIdParams,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1_000, default: 100 }, key: { type: 'string' } } },
        response: { 200: tradesSchema, 400: errorSchema, ...refusals },
      },
    },
    async (request) => {
      const trades = await listTrades(deps.pg, request.params.id, request.query.limit);
      return { team_id: request.params.id, count: trades.length, trades };
    },
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number; offset: number; status?: string } }>(
    '/api/v1/team/:id/orders',
    {
      onRequest,
      config: { rateLimit },
      schema: {
        tags: ['team'],
        security,
        summary: "The team's orders with their broker status, newest first, paged with ?offset=",
        params: teamIdParams,
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1_000, default: 100 },
            offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
            status: {
              type: 'string',
              pattern: STATUS_FILTER_PATTERN,
              maxLength: 200,
              description: 'One status or several, comma-separated: pending_submit, accepted, partially_filled, filled, canceled, expired, rejected; `open` = pending_submit,accepted,partially_filled',
            },
            key: { type: 'string' },
          },
        },
        response: { 200: ordersSchema, 400: errorSchema, ...refusals },
      },
    },
    async (request) => {
      const { limit, offset, status } = request.query;
      const orders = await listOrdersByStatus(deps.pg, request.params.id, limit, offset, status === undefined ? null : statusesOf(status));
      return { team_id: request.params.id, count: orders.length, orders, next_offset: orders.length === limit ? offset + limit : null };
    },
  );

  registerTeamDashboardRoutes(app, { pg: deps.pg, auth: deps.auth, rateLimit, ...(deps.stream === undefined ? {} : { stream: deps.stream }) });

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
    async (request) => {
      const teamId = request.params.id;
      const [versions, sync, runs, halts] = await Promise.all([listVersions(deps.pg, teamId, 20), readSyncState(deps.pg, teamId), teamRunSummary(deps.pg, teamId), readHaltState(deps.pg)]);
      const version = (v: (typeof versions)[number]) => ({
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
      const active = versions.find((v) => v.status === 'active');
      const halt = halts.teams.get(teamId) ?? halts.competition;
      return {
        team_id: teamId,
        active_version: active ? version(active) : null,
        latest_evaluation: versions[0] ? version(versions[0]) : null,
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
    },
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
        response: {
          200: {
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
          },
          400: errorSchema,
          ...refusals,
        },
      },
    },
    async (request) => {
      const page = await teamLogs(deps.pg, request.params.id, request.query.limit, request.query.before === undefined ? null : new Date(request.query.before));
      return { team_id: request.params.id, logs: page.entries, next_before: page.nextBefore };
    },
  );
}
