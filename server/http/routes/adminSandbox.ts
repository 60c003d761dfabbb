/**
 * `GET /api/v1/admin/sandbox`: the sandboxes of every live worker, as each reports them to Redis
 * (server/worker/sandboxHealth.ts): child processes with pid, resident memory, heap and teams;
 * quarantined teams with the reason. A worker that stopped reporting drops out within 30 s.
 */
import type { FastifyInstance } from 'fastify';
import type { RedisClient } from '../../../data/redis/client.ts';
import { REDIS_KEYS } from '../../config/redisKeys.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { readSandboxHealth } from '../../worker/sandboxHealth.ts';
import { errorSchema } from './adminSchemas.ts';

const processSchema = {
  type: 'object',
  properties: { process: { type: 'integer' }, pid: { type: 'integer' }, rss: { type: 'number' }, heapUsed: { type: 'number' }, teams: { type: 'integer' } },
} as const;
const quarantineSchema = { type: 'object', properties: { teamId: { type: 'string' }, reason: { type: 'string' }, since: { type: 'number' } } } as const;
const healthSchema = {
  type: 'object',
  properties: {
    workers: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          workerId: { type: 'string' },
          at: { type: 'number', description: 'epoch ms of the report' },
          shards: {
            type: 'array',
            items: {
              type: 'object',
              properties: { shard: { type: 'string' }, processes: { type: 'array', items: processSchema }, quarantined: { type: 'array', items: quarantineSchema } },
            },
          },
        },
      },
    },
  },
} as const;

export function registerAdminSandboxRoute(app: FastifyInstance, deps: { redis: RedisClient; auth: Authenticator; keyPrefix?: string }): void {
  app.get(
    '/api/v1/admin/sandbox',
    {
      onRequest: deps.auth.requireAdmin,
      schema: {
        tags: ['admin'],
        security: [{ bearer: [] }],
        summary: "Every live worker's sandbox processes (pid, resident memory, heap, teams) and quarantined teams with their reasons",
        response: { 200: healthSchema, 401: errorSchema, 403: errorSchema },
      },
    },
    async () => ({ workers: await readSandboxHealth(deps.redis, deps.keyPrefix ?? REDIS_KEYS.sandboxHealthPrefix) }),
  );
}
