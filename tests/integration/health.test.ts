import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startEmbeddedRedis } from '../../data/embedded/redisServer.ts';
import { createPgPool, type PgPool } from '../../data/postgres/pool.ts';
import { connectRedis, createRedis, type RedisClient } from '../../data/redis/client.ts';
import { postgresProbe, redisProbe } from '../../server/health/probes.ts';
import { buildHttpApp } from '../../server/http/app.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { silentLog } from '../support/silentLog.ts';
import { makeTempDir } from '../support/tempDir.ts';

function appFor(pool: PgPool, redis: RedisClient): FastifyInstance {
  return buildHttpApp({
    logger: silentLog,
    metrics: createMetrics(),
    probes: { postgres: postgresProbe(pool), redis: redisProbe(redis) },
    probeTimeoutMs: 1_000,
  });
}

describe('GET /health with real Postgres and Redis', () => {
  let pool: PgPool;
  let redis: RedisClient;
  let app: FastifyInstance;

  beforeAll(async () => {
    pool = createPgPool({ url: inject('databaseUrl'), max: 2, connectTimeoutMs: 2_000 });
    redis = createRedis(inject('redisUrl'));
    await connectRedis(redis, 5_000);
    app = appFor(pool, redis);
  });
  afterAll(async () => {
    await app.close();
    await pool.end();
    await redis.quit();
  });

  it('answers 200 when both answer', async () => {
    const response = await app.inject({ method: 'GET', url: '/health' });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ status: string; checks: Record<string, { ok: boolean }> }>();
    expect(body.status).toBe('ok');
    expect(body.checks.postgres?.ok).toBe(true);
    expect(body.checks.redis?.ok).toBe(true);
  });

  it('serves Prometheus metrics, counting the requests it served', async () => {
    await app.inject({ method: 'GET', url: '/health' });
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.body).toMatch(/^qtc_process_resident_memory_bytes \d+/m);
    expect(response.body).toMatch(/^qtc_http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} [1-9]/m);
  });

  it('serves the status page at /status', async () => {
    const response = await app.inject({ method: 'GET', url: '/status' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain("fetch('/health'");
  });

  it('answers unknown routes with a JSON 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/no/such/thing?key=secret' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'not_found', message: 'no route for GET /no/such/thing' });
  });
});

describe('GET /health when Redis stops', () => {
  it('turns 503 and names Redis, then recovers when Redis is back', async () => {
    const temp = makeTempDir('qtc-health-');
    const pool = createPgPool({ url: inject('databaseUrl'), max: 2, connectTimeoutMs: 2_000 });
    let service = await startEmbeddedRedis({ dataDir: temp.dir, log: silentLog });
    const redis = createRedis(service.url);
    await connectRedis(redis, 5_000);
    const app = appFor(pool, redis);
    try {
      expect((await app.inject({ method: 'GET', url: '/health' })).statusCode).toBe(200);

      await service.stop();
      const down = await app.inject({ method: 'GET', url: '/health' });
      expect(down.statusCode).toBe(503);
      const body = down.json<{ status: string; message: string; checks: Record<string, { ok: boolean; error?: string }> }>();
      expect(body.status).toBe('unavailable');
      expect(body.message).toMatch(/^redis is down/);
      expect(body.message).not.toMatch(/postgres/);
      expect(body.checks.postgres?.ok).toBe(true);
      expect(body.checks.redis?.ok).toBe(false);

      // Same data folder, same port: the client reconnects by itself.
      service = await startEmbeddedRedis({ dataDir: temp.dir, log: silentLog });
      await expect.poll(async () => (await app.inject({ method: 'GET', url: '/health' })).statusCode, { timeout: 15_000, interval: 200 }).toBe(200);
    } finally {
      await app.close();
      redis.disconnect();
      await pool.end();
      await service.stop();
      temp.remove();
    }
  });
});
