/**
 * Fastify plugins of the API: the OpenAPI document (@fastify/swagger, from every route's JSON
 * schema), rate limits counted in Redis (@fastify/rate-limit; shared by every replica) and
 * WebSockets (@fastify/websocket), and the app-wide guards: URL length, failed authentications per
 * address, strict input types. They hook into route registration, so they are registered before any route.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../../data/redis/client.ts';
import { installAuthFailureGuard } from './authFailures.ts';
import { documentCommonStatuses, installUrlLengthLimit } from './commonStatuses.ts';
import { HttpError } from './httpError.ts';
import { installStrictInput } from './strictInput.ts';

export { HttpError };

export interface HttpPluginOptions {
  /** Counts requests and failed authentications across replicas, and remembers webhook deliveries; without it, rate limits count per process, failed authentications are not counted and deliveries are remembered per process. */
  rateLimitRedis?: RedisClient;
  /** Prefix of every Redis key the HTTP layer writes (rate-limit counters, failed authentications, webhook deliveries); default "qtc:rate-limit:". */
  rateLimitPrefix?: string;
  /** Requests per minute per client address on routes without a limit of their own (admin, health, pages, webhook); default 600. */
  defaultRateLimitPerMinute?: number;
  /** Failed authentications per minute that block a client address (AUTH_FAILURES_PER_MINUTE); default 20. */
  authFailuresPerMinute?: number;
  /** Version shown in the OpenAPI document. */
  version?: string;
}

/** What routes registered after the plugins may share: the Redis connection and key prefix of the HTTP layer. */
export interface HttpShared {
  redis: RedisClient | null;
  prefix: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    httpShared: HttpShared;
  }
}

export function registerHttpPlugins(app: FastifyInstance, options: HttpPluginOptions): void {
  const prefix = options.rateLimitPrefix ?? 'qtc:rate-limit:';
  app.decorate('httpShared', { redis: options.rateLimitRedis ?? null, prefix });
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'QTC competition server API',
        version: options.version ?? '1',
        description:
          'Live leaderboard, activity stream and team data of the strategy competition. Keys go in "Authorization: Bearer <key>"; ' +
          '"?key=<key>" is accepted for clients of the original QTC Alpha API. Errors are {error, message}.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'A team key (qtc_team_…) or an admin key' } } },
    },
  });
  void app.register(websocket, { options: { maxPayload: 4_096 } });
  void app.register(rateLimit, {
    // Every route is limited: routes with `config.rateLimit` by their own rule, all others share
    // this one per client address.
    global: true,
    max: options.defaultRateLimitPerMinute ?? 600,
    timeWindow: 60_000,
    ...(options.rateLimitRedis ? { redis: options.rateLimitRedis } : {}),
    nameSpace: prefix,
    // A Redis outage must not take the API down with it: requests pass uncounted meanwhile.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new HttpError(context.statusCode, 'too_many_requests', `rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`),
  });
  documentCommonStatuses(app);
  // Root hooks run before every route's own: cheap refusals first, before any key is looked up.
  installUrlLengthLimit(app);
  if (options.rateLimitRedis) {
    installAuthFailureGuard(app, { redis: options.rateLimitRedis, prefix, maxFailures: options.authFailuresPerMinute ?? 20 });
  }
  installStrictInput(app);
}
