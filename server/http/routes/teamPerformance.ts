/** A team's performance: `/api/v1/team/{id}/history` (equity over time) and `/api/v1/team/{id}/metrics`. */
import type { FastifyInstance } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { latestSnapshot } from '../../control/teamQueries.ts';
import { windowedMetrics } from '../../leaderboard/standings.ts';
import { metricsView } from '../../leaderboard/view.ts';
import { errorSchema, teamIdParams } from './adminSchemas.ts';
import { historyQueryProperties, historyRange, keptHistory, sendJsonText, teamHistoryAnswer, type HistoryQuery } from './historyReply.ts';
import { daysLimitQuery, teamHistorySchema, teamMetricsSchema } from './liveSchemas.ts';
import { teamRefusals as refusals, teamSecurity as security, type TeamRouteDeps } from './teamRouteCommon.ts';

export interface TeamPerformanceRouteDeps extends TeamRouteDeps {
  /** Memory for answers of `/api/v1/team/{id}/history` (least recently used out); default 32 MiB. */
  historyCacheBytes?: number;
}

const DAY_MS = 86_400_000;

/** The answer of `/metrics`: over the whole competition, or the `days` before the newest snapshot. */
async function teamMetricsAnswer(pg: PgPool, teamId: string, days: number | undefined) {
  const newest = await latestSnapshot(pg, teamId);
  const since = days === undefined || newest === null ? 0 : newest.minute.getTime() - days * DAY_MS;
  const team = (await windowedMetrics(pg, since, teamId)).get(teamId);
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
}

export function registerTeamPerformanceRoutes(app: FastifyInstance, deps: TeamPerformanceRouteDeps): void {
  const { rateLimit } = deps;
  const onRequest = deps.auth.requireTeam('id');
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
    async (request, reply) => sendJsonText(reply, await teamHistoryAnswer(deps.pg, kept, request.params.id, historyRange(request.query), request.query.points)),
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
    (request) => teamMetricsAnswer(deps.pg, request.params.id, request.query.days),
  );
}
