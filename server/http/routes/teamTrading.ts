/** A team's trading record: `/api/v1/team/{id}/trades` (executions) and `/api/v1/team/{id}/orders` (with broker status). */
import type { FastifyInstance } from 'fastify';
import { listTrades } from '../../control/teamQueries.ts';
import { errorSchema, teamIdParams } from './adminSchemas.ts';
import { ordersSchema, tradesSchema } from './liveSchemas.ts';
import { listOrdersByStatus, STATUS_FILTER_PATTERN, statusesOf } from './teamDashboard.ts';
import { teamRefusals as refusals, teamSecurity as security, type TeamRouteDeps } from './teamRouteCommon.ts';

const ordersQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 1_000, default: 100 },
    offset: { type: 'integer', minimum: 0, maximum: 1_000_000, default: 0 },
    status: {
      type: 'string',
      pattern: STATUS_FILTER_PATTERN,
      maxLength: 200,
      description:
        'One status or several, comma-separated: pending_submit, accepted, partially_filled, filled, canceled, expired, rejected; `open` = pending_submit,accepted,partially_filled',
    },
    key: { type: 'string' },
  },
};

export function registerTeamTradingRoutes(app: FastifyInstance, deps: TeamRouteDeps): void {
  const { rateLimit } = deps;
  const onRequest = deps.auth.requireTeam('id');

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
        querystring: ordersQuery,
        response: { 200: ordersSchema, 400: errorSchema, ...refusals },
      },
    },
    async (request) => {
      const { limit, offset, status } = request.query;
      const orders = await listOrdersByStatus(deps.pg, request.params.id, limit, offset, status === undefined ? null : statusesOf(status));
      return { team_id: request.params.id, count: orders.length, orders, next_offset: orders.length === limit ? offset + limit : null };
    },
  );
}
