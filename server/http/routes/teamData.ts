/**
 * A team's own data, for its key (or an admin key; another team's key gets 403): the original API's
 * `/line/{team_key}` (JSON) and `/{team_key}` (one line of text), `/api/v1/team/{id}/history`,
 * `/metrics` and `/trades`, and the additions `/orders`, `/strategy` and `/logs`.
 * Each group of routes lives in its own module; this one wires them in the order they are documented.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import { looksLikeTeamKey } from '../../../registry/keys/format.ts';
import { presentedKey, type Authenticator } from '../../auth/authenticate.ts';
import { registerTeamDashboardRoutes, type TeamStreamDeps } from './teamDashboard.ts';
import { registerTeamLineRoutes } from './teamLine.ts';
import { registerTeamPerformanceRoutes } from './teamPerformance.ts';
import type { TeamRouteDeps } from './teamRouteCommon.ts';
import { registerTeamStrategyRoutes } from './teamStrategy.ts';
import { registerTeamTradingRoutes } from './teamTrading.ts';

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

/** Team routes are counted per key (its public id part), not per address: a class behind one NAT is not one client. */
export function teamRateLimitKey(request: FastifyRequest): string {
  const key = presentedKey(request) ?? (request.params as { teamKey?: string }).teamKey;
  if (typeof key === 'string' && looksLikeTeamKey(key)) return `key:${key.slice(0, 'qtc_team_'.length + 12)}`;
  return `ip:${request.ip}`;
}

export function registerTeamDataRoutes(app: FastifyInstance, deps: TeamDataRouteDeps): void {
  const common: TeamRouteDeps = { pg: deps.pg, auth: deps.auth, rateLimit: { max: deps.rateLimitPerMinute ?? 300, timeWindow: 60_000, keyGenerator: teamRateLimitKey } };
  registerTeamLineRoutes(app, common);
  registerTeamPerformanceRoutes(app, { ...common, ...(deps.historyCacheBytes === undefined ? {} : { historyCacheBytes: deps.historyCacheBytes }) });
  registerTeamTradingRoutes(app, common);
  registerTeamDashboardRoutes(app, { ...common, ...(deps.stream === undefined ? {} : { stream: deps.stream }) });
  registerTeamStrategyRoutes(app, common);
}
