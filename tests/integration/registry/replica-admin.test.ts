import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import { startRegistryFollower, type RegistryFollower } from '../../../registry/follow.ts';
import { AdminKeys } from '../../../server/auth/adminKeys.ts';
import { createAuthenticator } from '../../../server/auth/authenticate.ts';
import { relayedRegistryFile, serveRegistryReloads } from '../../../server/control/registryRelay.ts';
import { buildHttpApp } from '../../../server/http/app.ts';
import { registerAdminRoutes } from '../../../server/http/routes/admin.ts';
import { createMetrics } from '../../../server/observability/metrics.ts';
import { silentLog } from '../../support/silentLog.ts';
import { ADMIN_KEY, bearer, registryText, startHarness, type Harness } from '../auth/support.ts';

/**
 * The admin registry routes of a process that does not read team_registry.yaml (an API replica, or
 * `npm start`'s API process): they showed the registry they follow in Postgres, never the file's
 * rejected edit, and "reload" re-read Postgres and answered `loaded` over an invalid file. Now the
 * status carries the file's last rejected edit (from the control process's audit trail) and a reload
 * is asked of the control process over Redis. Real Postgres and Redis.
 */

interface StatusBody {
  file: string;
  teams: number;
  lastError: null | { at: string; errors: Array<{ path: string; line: number; column: number; message: string }> };
}

const log = pino({ level: 'silent' });
// Channels of this file alone: other test files use the same Redis.
const channel = `test-registry-${randomBytes(6).toString('hex')}`;

describe('registry admin routes on a replica', { timeout: 60_000 }, () => {
  let h: Harness;
  let follower: RegistryFollower;
  let replica: FastifyInstance;
  const clients: RedisClient[] = [];
  const open = () => {
    const client = createRedis(inject('redisUrl'));
    clients.push(client);
    return client;
  };
  let stopServing: (() => Promise<void>) | undefined;
  const stopFollowing = new AbortController();

  beforeAll(async () => {
    h = await startHarness();
    const redis = open();
    await connectRedis(redis, 10_000);
    follower = await startRegistryFollower({ pool: h.pool, log: silentLog, signal: stopFollowing.signal, pollMs: 200 });
    const auth = createAuthenticator({ verifyTeamKey: (key) => h.keys.verify(key), adminKeys: new AdminKeys([ADMIN_KEY]) });
    replica = buildHttpApp({ logger: silentLog, metrics: createMetrics(), probes: {} });
    const registryFile = relayedRegistryFile({ store: follower.store, pool: h.pool, redis, openSubscriber: open, channel, answerTimeoutMs: 5_000 });
    registerAdminRoutes(replica, { auth, registry: follower.store, registryFile, keys: h.keys, pool: h.pool });
    await replica.ready();
    stopServing = await serveRegistryReloads({ store: h.registry, redis, subscriber: open(), log, channel });
  });
  afterAll(async () => {
    await stopServing?.();
    stopFollowing.abort();
    await follower?.stop();
    await replica?.close();
    for (const client of clients) client.disconnect();
    await h?.close();
  });

  const status = async () => {
    const response = await replica.inject({ url: '/api/v1/admin/registry', headers: bearer(ADMIN_KEY) });
    expect(response.statusCode).toBe(200);
    return response.json<StatusBody>();
  };
  const reload = () => replica.inject({ method: 'POST', url: '/api/v1/admin/registry/reload', headers: bearer(ADMIN_KEY) });

  it('shows the file rejected, and a reload reads the file in the control process', async () => {
    expect(await status()).toMatchObject({ file: 'postgres:registry_versions', teams: 2, lastError: null });

    // Valid YAML and schema, but a NUL in a team name (line 6, column 11): Postgres cannot store it.
    h.writeRegistry(registryText([{ id: 'alpha' }, { id: 'beta' }]).replace('name: Team alpha', 'name: "Team \\0 alpha"'));
    const refused = await reload();
    expect(refused.statusCode).toBe(422);
    const problem = { path: 'teams[0].name', line: 6, column: 11, message: 'must not contain a NUL character or an unpaired surrogate' };
    expect(refused.json()).toMatchObject({
      error: 'registry_rejected',
      message: 'the registry in force stays: 6:11 teams[0].name: must not contain a NUL character or an unpaired surrogate',
      registry: { file: h.registryFile, teams: 2, lastError: { errors: [problem] } },
    });
    // What any replica shows, read from the audit trail.
    expect((await status()).lastError?.errors).toEqual([problem]);

    // Fixed, with a third team: loaded by the control process, and followed here.
    h.writeRegistry(registryText([{ id: 'alpha' }, { id: 'beta' }, { id: 'gamma' }]));
    const loaded = await reload();
    expect(loaded.statusCode).toBe(200);
    expect(loaded.json()).toMatchObject({ outcome: 'loaded', registry: { file: h.registryFile, teams: 3, lastError: null } });
    expect((await status()).lastError).toBeNull();
    await expect.poll(() => follower.store.current().teams.length, { timeout: 10_000 }).toBe(3);
  });

  it('a file put back as it was ends the rejection for every process', async () => {
    const inForce = registryText([{ id: 'alpha' }, { id: 'beta' }, { id: 'gamma' }]);
    h.writeRegistry(inForce.replace('universe: [SPY, QQQ]', 'universe: []'));
    expect((await h.registry.reload('file-change')).result).toBe('failed');
    expect((await status()).lastError?.errors[0]).toMatchObject({ path: 'competition.universe', line: 3 });
    h.writeRegistry(inForce);
    expect(await h.registry.reload('file-change')).toEqual({ result: 'unchanged' });
    expect((await status()).lastError).toBeNull();
  });

  it('without a control process a reload is 503, and the registry in force stays', async () => {
    await stopServing?.();
    stopServing = undefined;
    const response = await reload();
    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({
      error: 'registry_unavailable',
      message: 'nothing answers for team_registry.yaml: the control process (qtc all or qtc control) is not running',
    });
    expect(follower.store.current().teams).toHaveLength(3);
  });
});
