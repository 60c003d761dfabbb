import type { Logger } from 'pino';
import { joinEmbeddedPostgres, startEmbeddedPostgres } from '../data/embedded/postgresCluster.ts';
import { joinEmbeddedRedis, startEmbeddedRedis } from '../data/embedded/redisServer.ts';
import { migrateUp } from '../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../data/postgres/pool.ts';
import { connectRedis, createRedis, type RedisClient } from '../data/redis/client.ts';
import { redactUrl, type Config } from './config/config.ts';
import type { Lifecycle } from './lifecycle.ts';

export interface Services {
  pg: PgPool;
  redis: RedisClient;
  /** Where each came from, for logs and /health. */
  origin: { postgres: 'embedded' | 'DATABASE_URL'; redis: 'embedded' | 'REDIS_URL' };
}

async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function describeConnectError(error: unknown): string {
  const e = error as { message?: string; code?: string; errors?: Array<{ message: string }> };
  // pg reports a refused dual-stack connect as an AggregateError with an empty message.
  return e.message || e.errors?.map((inner) => inner.message).join(', ') || e.code || String(error);
}

/**
 * What a process does with the embedded services (no DATABASE_URL / REDIS_URL). `run` (`qtc all`):
 * start them, or adopt the ones an earlier run left behind, and stop them on exit. `join` (`qtc worker`,
 * `qtc api`): wait for the ones `qtc all` runs, never start or stop them, so stopping a worker (or a
 * worker started during an outage) cannot take the shared databases with it.
 */
export type EmbeddedRole = 'run' | 'join';

/**
 * Postgres and Redis, either the ones the environment names or the embedded servers,
 * connected, checked and migrated. Everything acquired is registered on `lifecycle`.
 */
export async function startServices(config: Config, logger: Logger, lifecycle: Lifecycle, embedded: EmbeddedRole): Promise<Services> {
  const log = logger.child({ component: 'services' });
  const { dataDir, serviceConnectTimeoutMs: timeoutMs } = config;
  const { signal } = lifecycle;
  const started = await Promise.allSettled([
    config.databaseUrl ??
      (embedded === 'join'
        ? joinEmbeddedPostgres({ dataDir, timeoutMs, signal })
        : startEmbeddedPostgres({ dataDir, log, signal, listen: config.embeddedListen }).then((service) => {
            lifecycle.onClose('embedded postgres', () => service.stop());
            return service.url;
          })),
    config.redisUrl ??
      (embedded === 'join'
        ? joinEmbeddedRedis({ dataDir, timeoutMs, signal })
        : startEmbeddedRedis({ dataDir, log, signal, listen: config.embeddedListen }).then((service) => {
            lifecycle.onClose('embedded redis', () => service.stop());
            return service.url;
          })),
  ]);
  // Both starts are awaited to their end (not Promise.all), so a server whose start finished after the
  // other failed, or after a signal, is still registered and stopped rather than left running.
  const [postgresUrl, redisUrl] = started.map((result) => {
    if (result.status === 'rejected') throw result.reason;
    return result.value;
  }) as [string, string];
  const origin = {
    postgres: config.databaseUrl ? 'DATABASE_URL' : 'embedded',
    redis: config.redisUrl ? 'REDIS_URL' : 'embedded',
  } as const;

  const pg = createPgPool({ url: postgresUrl, max: config.pgPoolMax, connectTimeoutMs: config.serviceConnectTimeoutMs });
  lifecycle.onClose('postgres pool', () => pg.end());
  try {
    await withDeadline(pg.query('SELECT 1'), config.serviceConnectTimeoutMs);
  } catch (error) {
    throw new Error(`cannot connect to PostgreSQL at ${redactUrl(postgresUrl)} (${origin.postgres}): ${describeConnectError(error)}`, { cause: error });
  }
  try {
    const applied = await migrateUp(pg);
    if (applied.length > 0) log.info({ migrations: applied.map((m) => m.name) }, 'applied database migrations');
  } catch (error) {
    throw new Error(`database migration failed: ${describeConnectError(error)}`, { cause: error });
  }

  const redis = createRedis(redisUrl);
  lifecycle.onClose('redis client', async () => {
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  });
  try {
    await connectRedis(redis, config.serviceConnectTimeoutMs);
  } catch (error) {
    throw new Error(`cannot connect to Redis at ${redactUrl(redisUrl)} (${origin.redis}): ${describeConnectError(error)}`, { cause: error });
  }
  log.info({ postgres: origin.postgres, redis: origin.redis }, 'Postgres and Redis are ready');
  return { pg, redis, origin };
}
