// The API server of the benchmarks, run as its own process so the load generator does not share its
// event loop: `node bench/apiHarness.ts` starts throwaway Postgres and Redis (or uses BENCH_DATABASE_URL /
// BENCH_REDIS_URL), seeds TEAMS teams with SNAPSHOTS minutes of equity, publishes the leaderboard,
// listens on 127.0.0.1 and prints one JSON line {url, redisUrl, activityStream, teams}. SIGTERM stops it all.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedService } from '../data/embedded/postgresCluster.ts';
import { startEmbeddedRedis } from '../data/embedded/redisServer.ts';
import { createLedger } from '../server/ledger/ledger.ts';
import { migrateUp } from '../data/postgres/migrate.ts';
import { createPgPool } from '../data/postgres/pool.ts';
import { connectRedis, createRedis } from '../data/redis/client.ts';
import { ApiKeyStore } from '../registry/keys/store.ts';
import { AdminKeys } from '../server/auth/adminKeys.ts';
import { createAuthenticator } from '../server/auth/authenticate.ts';
import { buildHttpApp } from '../server/http/app.ts';
import { registerLiveApi } from '../server/http/routes/liveApi.ts';
import { computeAndPublishLeaderboard } from '../server/leaderboard/publish.ts';
import { createMetrics } from '../server/observability/metrics.ts';

const TEAMS = Number(process.env.TEAMS ?? 100);
const SNAPSHOTS = Number(process.env.SNAPSHOTS ?? 30);
const START = Date.UTC(2025, 6, 8, 13, 30);
const silent = pino({ level: 'silent' });

const started: EmbeddedService[] = [];
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-bench-'));
const databaseUrl: string = process.env.BENCH_DATABASE_URL ?? (await startEmbeddedPostgres({ dataDir, log: silent }).then((s) => (started.push(s), s.url)));
const redisUrl: string = process.env.BENCH_REDIS_URL ?? (await startEmbeddedRedis({ dataDir, log: silent }).then((s) => (started.push(s), s.url)));

const pool = createPgPool({ url: databaseUrl, max: 10, connectTimeoutMs: 10_000 });
await migrateUp(pool);
const redis = createRedis(redisUrl);
await connectRedis(redis, 10_000);
const prefix = `bench-${process.pid}`;
const keys = { leaderboard: `${prefix}:leaderboard`, leaderboardChannel: `${prefix}:leaderboard:updates`, activityStream: `${prefix}:activity` };

const teamIds = Array.from({ length: TEAMS }, (_, i) => `team-${String(i).padStart(4, '0')}`);
await pool.query(`INSERT INTO teams (id, name, repo) SELECT id, 'Team ' || id, 'file:///bench' FROM unnest($1::text[]) AS id ON CONFLICT DO NOTHING`, [teamIds]);
const ledger = createLedger(pool);
await ledger.ensureTeamBooks(teamIds, 100_000 * 10_000);
for (let minute = 0; minute < SNAPSHOTS; minute += 1) await ledger.snapshotEquity(START + minute * 60_000, {});
await computeAndPublishLeaderboard(pool, redis, START + (SNAPSHOTS - 1) * 60_000, { keys });

const apiKeys = new ApiKeyStore({ pool, graceMs: 0 });
const auth = createAuthenticator({ verifyTeamKey: (key) => apiKeys.verify(key), adminKeys: new AdminKeys([]) });
const app = buildHttpApp({ logger: silent, metrics: createMetrics(), probes: {}, plugins: { rateLimitRedis: redis, rateLimitPrefix: `${prefix}:rl:` } });
registerLiveApi(app, {
  pg: pool,
  redis,
  openRedis: () => createRedis(redisUrl),
  auth,
  keys,
  // The limits stay on (their Redis counting is part of the cost) but high enough not to refuse the load.
  rateLimitPublicPerMinute: 1_000_000_000,
  rateLimitTeamPerMinute: 1_000_000_000,
  sseMaxClients: 10_000,
  // Every benchmark client comes from one address.
  sseMaxClientsPerAddress: 10_000,
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ url, redisUrl, activityStream: keys.activityStream, teams: TEAMS })}\n`);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await app.close().catch(() => undefined);
  redis.disconnect();
  await pool.end().catch(() => undefined);
  for (const service of started.reverse()) await service.stop().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
