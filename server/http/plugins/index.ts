/**
 * Fastify plugins of the API: the OpenAPI document (@fastify/swagger, from every route's JSON
 * schema), rate limits counted in Redis (@fastify/rate-limit; shared by every replica) and
 * WebSockets (@fastify/websocket). They hook into route registration, so they are registered
 * before any route.
 */
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../../data/redis/client.ts';

export interface HttpPluginOptions {
  /** Counts requests across replicas; without it each process counts on its own. */
  rateLimitRedis?: RedisClient;
  /** Redis key prefix of the counters; default "qtc:rate-limit:". */
  rateLimitPrefix?: string;
  /** Version shown in the OpenAPI document. */
  version?: string;
}

/** An error the app's error handler turns into `{error, message}` with its status. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  constructor(statusCode: number, code: string, message: string) {
    super(message);
    this.statusCode = statusCode;
    this.code = code;
  }
}

export function registerHttpPlugins(app: FastifyInstance, options: HttpPluginOptions): void {
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
    // Only routes that ask for it (`config.rateLimit`) are limited: health checks and pages are not.
    global: false,
    ...(options.rateLimitRedis ? { redis: options.rateLimitRedis } : {}),
    nameSpace: options.rateLimitPrefix ?? 'qtc:rate-limit:',
    // A Redis outage must not take the API down with it: requests pass uncounted meanwhile.
    skipOnError: true,
    errorResponseBuilder: (_request, context) =>
      new HttpError(context.statusCode, 'too_many_requests', `rate limit of ${context.max} requests per ${context.after} exceeded; retry in ${Math.ceil(context.ttl / 1000)} s`),
  });
}
