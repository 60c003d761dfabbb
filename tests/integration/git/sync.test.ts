import { existsSync, rmSync, renameSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { getActiveVersion, listVersions } from '../../../loaders/activation/index.ts';
import { readSyncState, startGitSync, type GitSync, type GitSyncDeps, type TeamSyncResult } from '../../../loaders/git/index.ts';
import type { Registry } from '../../../registry/schema.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { silentLog } from '../../support/silentLog.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { createTeamRepo, GOOD_STRATEGY, insertTeams, makeGitFixture, registryFor, strategyWith, type GitFixture, type TeamRepo } from './gitFixtures.ts';

/** Pushes to real bare repositories, synced by the real sync, evaluated in the real sandbox, stored in real Postgres. */

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: PgPool;
let temp: ReturnType<typeof makeTempDir>;
let fixture: GitFixture;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
  await migrateUp(pool);
  temp = makeTempDir('qtc-git-sync-');
  fixture = makeGitFixture(temp.dir);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
  temp.remove();
});

/** A team with its own remote and a sync that only runs when asked. */
async function team(id: string, overrides: Record<string, unknown> = {}, deps: Partial<GitSyncDeps> = {}): Promise<{ repo: TeamRepo; sync: GitSync; once: () => Promise<TeamSyncResult> }> {
  const repo = createTeamRepo(fixture, id);
  const registry: Registry = registryFor([{ id, name: id, repo: repo.remote, ...overrides }]);
  await insertTeams(pool, registry);
  const sync = startGitSync({
    pg: pool,
    logger: silentLog,
    dataDir: path.join(fixture.root, 'data'),
    registry: () => registry,
    pollIntervalMs: 0,
    syncOnStart: false,
    allowedLocalRoots: [fixture.remotesDir],
    localPathBase: fixture.root,
    baseEnv: { PATH: process.env.PATH, HOME: fixture.home },
    smoke: { minutes: 5 },
    ...deps,
  });
  const once = async () => {
    const [result] = await sync.syncNow(id);
    return result!;
  };
  return { repo, sync, once };
}

describe('git sync and activation with real repositories', () => {
  it('activates a good commit with its author, message, bundle and timings, and leaves it alone afterwards', async () => {
    const { repo, sync, once } = await team('good');
    const sha = repo.push({ 'strategy.ts': GOOD_STRATEGY }, 'First strategy');
    const result = await once();
    expect(result).toMatchObject({ outcome: 'activated', sha });
    const active = await getActiveVersion(pool, 'good');
    expect(active).toMatchObject({ commitSha: sha, status: 'active', authorName: 'Ada Team', authorEmail: 'ada@example.org', message: 'First strategy', activationReason: 'push' });
    expect(active!.strategy.code).toContain('__qtcStrategy');
    expect(Object.keys(active!.timings).sort()).toEqual(['check', 'compile', 'export', 'fetch', 'smoke', 'total']);
    expect(await once()).toMatchObject({ outcome: 'unchanged', sha });
    await sync.stop();
  });
});
