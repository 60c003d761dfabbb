import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { RegistryStore } from '../../../registry/store.ts';
import { loadConfig } from '../../../server/config/config.ts';
import { startScheduler } from '../../../server/scheduler/scheduler.ts';
import { readTeamReadiness } from '../../../server/scheduler/startGate.ts';
import { recentTicks } from '../../../server/tick/tickStore.ts';
import { startWorker, type RunningWorker } from '../../../server/worker/worker.ts';
import { silentLog } from '../../support/silentLog.ts';
import { createTickFixture, type TickFixture } from './support.ts';

/** The season start gate against real Postgres, Redis and a worker: a fresh simulated season waits for every enabled team's strategy. */

let fixture: TickFixture;
let redis: RedisClient;
let worker: RunningWorker | undefined;

beforeAll(async () => {
  fixture = await createTickFixture({ teams: ['alpha', 'beta', 'gamma', 'delta'] });
  redis = createRedis(fixture.redisUrl);
  await connectRedis(redis, 5_000);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  redis?.disconnect();
  await fixture?.close();
});

/** Takes a team's strategy away (as before its first Git sync) and returns how to give it back (its activation). */
async function deactivate(teamId: string): Promise<() => Promise<void>> {
  const { rows } = await fixture.pool.query<{ version_id: string }>('DELETE FROM team_active_versions WHERE team_id = $1 RETURNING version_id', [teamId]);
  const versionId = rows[0]!.version_id;
  await fixture.pool.query(`UPDATE strategy_versions SET status = 'superseded' WHERE id = $1`, [versionId]);
  return async () => {
    await fixture.pool.query(`UPDATE strategy_versions SET status = 'active' WHERE id = $1`, [versionId]);
    await fixture.pool.query(`INSERT INTO team_active_versions (team_id, version_id, activated_by, reason) VALUES ($1, $2, 'git-sync', 'push')`, [teamId, versionId]);
  };
}

describe('the season start gate', { timeout: 120_000 }, () => {
  it('reads each team: active, not yet synced, refused head, failing fetch', async () => {
    const restoreGamma = await deactivate('gamma');
    const restoreDelta = await deactivate('delta');
    // gamma: Git sync judged its head and refused it; delta: its fetch fails.
    const { rows } = await fixture.pool.query<{ commit_sha: string }>(`SELECT commit_sha FROM strategy_versions WHERE team_id = 'gamma'`);
    await fixture.pool.query(`UPDATE strategy_versions SET status = 'rejected', rejected_at_stage = 'check' WHERE team_id = 'gamma'`);
    await fixture.pool.query(
      `INSERT INTO team_git_sync (team_id, head_sha, checked_at, error_kind, error, error_since, failures) VALUES ('delta', NULL, now(), 'fetch', 'repository not found', now(), 1)`,
    );
    await fixture.pool.query(`INSERT INTO team_git_sync (team_id, head_sha, checked_at, synced_at, failures) VALUES ('gamma', $1, now(), now(), 0)`, [rows[0]!.commit_sha]);
    const restoreBeta = await deactivate('beta');
    const states = await readTeamReadiness(fixture.pool, ['alpha', 'beta', 'gamma', 'delta', 'nobody']);
    expect(Object.fromEntries(states)).toEqual({
      alpha: { active: true, settled: true },
      beta: { active: false, settled: false },
      gamma: { active: false, settled: true },
      delta: { active: false, settled: true },
      nobody: { active: false, settled: false },
    });
    // Back as they were for the season below, except beta.
    await fixture.pool.query(`DELETE FROM team_git_sync`);
    await fixture.pool.query(`UPDATE strategy_versions SET status = 'superseded', rejected_at_stage = NULL WHERE team_id = 'gamma'`);
    await restoreGamma();
    await restoreDelta();
    await restoreBeta();
  });

  it('starts a fresh simulated season only once every enabled team has an active strategy', async () => {
    const env = {
      DATABASE_URL: fixture.databaseUrl,
      REDIS_URL: fixture.redisUrl,
      QTC_REGISTRY_FILE: fixture.registryFile,
      SANDBOX_PROCESSES: '1',
      SIM_MINUTE_MS: '50',
      SIM_START: '2025-07-07T13:30:00Z',
      SEASON_START_TIMEOUT_MS: '60000',
    };
    const config = loadConfig(env);
    const registry = new RegistryStore({ file: fixture.registryFile, log: silentLog });
    await registry.load();
    worker = await startWorker({
      config,
      pg: fixture.pool,
      redis,
      registry,
      logger: silentLog,
      prefix: fixture.bullPrefix,
      activityStream: `${fixture.redisPrefix}:activity`,
      leaderboardKeys: { leaderboard: `${fixture.redisPrefix}:lb`, leaderboardChannel: `${fixture.redisPrefix}:lb:updates`, activityStream: `${fixture.redisPrefix}:activity` },
    });
    const activateBeta = await deactivate('beta');
    const activityStream = `${fixture.redisPrefix}:activity`;
    const scheduler = await startScheduler({ config, pg: fixture.pool, redis, registry, logger: silentLog, prefix: fixture.bullPrefix, startGatePollMs: 50, activityStream });
    try {
      await new Promise((resolve) => setTimeout(resolve, 800));
      expect(await recentTicks(fixture.pool, 10)).toEqual([]); // beta's strategy is not active yet: no minute has run
      await activateBeta();
      const start = await scheduler.seasonStart;
      expect(start).toMatchObject({ reason: 'teams_ready', late: [] });
      expect(start!.waitedMs).toBeGreaterThanOrEqual(800);
      const audit = await fixture.pool.query<{ actor: string; details: unknown }>(`SELECT actor, details FROM audit_events WHERE kind = 'season.started'`);
      expect(audit.rows).toEqual([{ actor: 'scheduler', details: { clock: 'simulated', reason: 'teams_ready', waitedMs: start!.waitedMs, late: [] } }]);
      const announced = (await redis.xrange(`${activityStream}:type:season_started`, '-', '+')) as Array<[string, string[]]>;
      expect(announced.map(([, fields]) => JSON.parse(fields[1]!) as unknown)).toEqual([
        expect.objectContaining({ type: 'season_started', clock: 'simulated', reason: 'teams_ready', late: [] }),
      ]);
      for (;;) {
        const ticks = (await recentTicks(fixture.pool, 10)).filter((tick) => tick.status === 'completed');
        if (ticks.length > 0) {
          expect(new Date(ticks.at(-1)!.minute).toISOString()).toBe('2025-07-07T13:30:00.000Z');
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      await scheduler.stop();
    }
    // The season has minutes now: a restarted scheduler resumes without waiting at the gate.
    await deactivate('beta');
    const resumed = await startScheduler({ config, pg: fixture.pool, redis, registry, logger: silentLog, prefix: fixture.bullPrefix, startGatePollMs: 50 });
    expect(await resumed.seasonStart).toBeNull();
    await resumed.stop();
  });
});
