/** What every route group of a team's own data shares: its dependencies, rate limit and documented refusals. */
import type { FastifyRequest } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { errorSchema } from './adminSchemas.ts';

/** Per-key limit of the team routes (`@fastify/rate-limit` route config). */
export interface TeamRateLimit {
  max: number;
  timeWindow: number;
  keyGenerator: (request: FastifyRequest) => string;
}

export interface TeamRouteDeps {
  pg: PgPool;
  auth: Authenticator;
  rateLimit: TeamRateLimit;
}

export const teamRefusals = { 401: errorSchema, 403: errorSchema, 429: errorSchema } as const;
export const teamSecurity = [{ bearer: [] }];
