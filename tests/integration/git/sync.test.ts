import { existsSync, renameSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { getActiveVersion, listVersions, rollbackToVersion } from '../../../loaders/activation/index.ts';
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
async function team(
  id: string,
  overrides: Record<string, unknown> = {},
  deps: Partial<GitSyncDeps> = {},
): Promise<{ repo: TeamRepo; sync: GitSync; once: () => Promise<TeamSyncResult> }> {
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

  it('rejects broken commits with the reason and keeps the previous version running', async () => {
    const { repo, sync, once } = await team('broken');
    const good = repo.push({ 'strategy.ts': GOOD_STRATEGY }, 'good');
    expect(await once()).toMatchObject({ outcome: 'activated', sha: good });

    const cases: Array<{ files: Record<string, string>; stage: string; check: (version: Awaited<ReturnType<typeof listVersions>>[number]) => void }> = [
      {
        files: { 'strategy.ts': 'export default class Strategy {\n  generateSignal( {\n}\n' },
        stage: 'check',
        check: (version) => expect(version.findings.map((finding) => [finding.file, finding.rule])).toContainEqual(['strategy.ts', 'syntax']),
      },
      {
        files: { 'strategy.ts': strategyWith('  generateSignal() { return eval("null"); }') },
        stage: 'check',
        check: (version) => expect(version.findings).toContainEqual(expect.objectContaining({ file: 'strategy.ts', line: 2, message: expect.stringMatching(/eval/) as unknown })),
      },
      {
        files: { 'strategy.ts': strategyWith('  constructor() { throw new Error("bad params"); }\n  generateSignal() { return null; }') },
        stage: 'smoke',
        check: (version) => expect(version.error).toMatch(/while loading the strategy.*bad params/),
      },
      {
        files: { 'strategy.ts': strategyWith('  generateSignal() { for (;;) {} }') },
        stage: 'smoke',
        check: (version) => expect(version.error).toMatch(/ran out of time in generateSignal, call 1/),
      },
    ];
    for (const { files, stage, check } of cases) {
      const sha = repo.push(files, `broken: ${stage}`);
      const result = await once();
      expect(result).toMatchObject({ outcome: 'rejected', sha });
      const [latest] = await listVersions(pool, 'broken', 1);
      expect(latest).toMatchObject({ commitSha: sha, status: 'rejected', rejectedAtStage: stage });
      check(latest!);
      expect((await getActiveVersion(pool, 'broken'))?.commitSha).toBe(good);
    }
    const { rows } = await pool.query<{ kind: string }>(`SELECT kind FROM audit_events WHERE subject = 'broken' ORDER BY id`);
    expect(rows.map((row) => row.kind)).toEqual(['strategy.activated', 'strategy.rejected', 'strategy.rejected', 'strategy.rejected', 'strategy.rejected']);
    await sync.stop();
  });

  it('follows a force-push to the new head', async () => {
    const { repo, sync, once } = await team('forced');
    const first = repo.push({ 'strategy.ts': GOOD_STRATEGY }, 'first');
    expect(await once()).toMatchObject({ outcome: 'activated', sha: first });
    // A new history that does not contain the first commit.
    repo.push({}, 'unrelated');
    const { git } = await import('./gitFixtures.ts');
    git(fixture, repo.work, ['checkout', '--quiet', '--orphan', 'rewritten']);
    const rewritten = repo.push({ 'strategy.ts': GOOD_STRATEGY.replace('5', '7') }, 'rewritten history', { force: true });
    expect(await once()).toMatchObject({ outcome: 'activated', sha: rewritten });
    const versions = await listVersions(pool, 'forced');
    expect(versions.map((version) => [version.commitSha, version.status])).toEqual([
      [rewritten, 'active'],
      [first, 'superseded'],
    ]);
    await sync.stop();
  });

  it('keeps the active version when the branch is deleted, records why, and recovers when it is pushed again', async () => {
    const { repo, sync, once } = await team('deleted');
    const first = repo.push({ 'strategy.ts': GOOD_STRATEGY }, 'first');
    expect(await once()).toMatchObject({ outcome: 'activated' });
    const { git } = await import('./gitFixtures.ts');
    git(fixture, repo.work, ['push', '--quiet', 'origin', '--delete', 'main']);
    expect(await once()).toMatchObject({ outcome: 'failed', kind: 'branch-missing', repeated: false });
    expect(await once()).toMatchObject({ outcome: 'failed', kind: 'branch-missing', repeated: true });
    expect(await readSyncState(pool, 'deleted')).toMatchObject({
      errorKind: 'branch-missing',
      error: expect.stringMatching(/branch "main" does not exist/) as unknown,
      failures: 2,
    });
    expect((await getActiveVersion(pool, 'deleted'))?.commitSha).toBe(first);

    const second = repo.push({ 'strategy.ts': GOOD_STRATEGY.replace('5', '9') }, 'back');
    expect(await once()).toMatchObject({ outcome: 'activated', sha: second });
    expect(await readSyncState(pool, 'deleted')).toMatchObject({ errorKind: null, error: null, failures: 0, headSha: second });
    const { rows } = await pool.query<{ kind: string }>(`SELECT kind FROM audit_events WHERE subject = 'deleted' AND kind LIKE 'git.%' ORDER BY id`);
    expect(rows.map((row) => row.kind)).toEqual(['git.sync-failed', 'git.sync-recovered']);
    await sync.stop();
  });

  it('keeps the active version when the repository disappears, and picks up again when it is back', async () => {
    const { repo, sync, once } = await team('vanishing');
    const first = repo.push({ 'strategy.ts': GOOD_STRATEGY }, 'first');
    expect(await once()).toMatchObject({ outcome: 'activated' });
    const hidden = `${repo.remote}.hidden`;
    renameSync(repo.remote, hidden);
    expect(await once()).toMatchObject({ outcome: 'failed', kind: 'unreachable' });
    expect((await getActiveVersion(pool, 'vanishing'))?.commitSha).toBe(first);
    renameSync(hidden, repo.remote);
    const second = repo.push({ 'strategy.ts': GOOD_STRATEGY.replace('5', '6') }, 'second');
    expect(await once()).toMatchObject({ outcome: 'activated', sha: second });
    await sync.stop();
  });

  it('rejects a commit whose strategy folder is missing, and reads the folder and entry the registry names', async () => {
    const { repo, sync, once } = await team('subfolder', { path: 'bots/alpha', entry: 'main.ts' });
    const missing = repo.push({ 'README.md': 'no strategy yet' }, 'readme');
    expect(await once()).toMatchObject({ outcome: 'rejected', sha: missing });
    expect((await listVersions(pool, 'subfolder', 1))[0]).toMatchObject({ rejectedAtStage: 'export', error: 'the folder "bots/alpha" does not exist in this commit' });
    const good = repo.push({ 'bots/alpha/main.ts': GOOD_STRATEGY, 'bots/other/strategy.ts': 'this is not code' }, 'alpha');
    expect(await once()).toMatchObject({ outcome: 'activated', sha: good });
    expect((await getActiveVersion(pool, 'subfolder'))?.source).toEqual({ repo: repo.remote, branch: 'main', path: 'bots/alpha', entry: 'main.ts' });
    await sync.stop();
  });

  it('evaluates the same commit again when the registry points the team at another folder or entry', async () => {
    const repo = createTeamRepo(fixture, 'moved');
    let registry: Registry = registryFor([{ id: 'moved', name: 'Moved', repo: repo.remote, path: 'wrong' }]);
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
      smoke: { minutes: 3 },
    });
    const sha = repo.push({ 'bots/strategy.ts': GOOD_STRATEGY, 'bots/main.ts': GOOD_STRATEGY }, 'bots');
    expect(await sync.syncNow('moved')).toMatchObject([{ outcome: 'rejected', sha }]);
    registry = registryFor([{ id: 'moved', name: 'Moved', repo: repo.remote, path: 'bots' }]);
    expect(await sync.syncNow('moved')).toMatchObject([{ outcome: 'activated', sha }]);
    expect(await sync.syncNow('moved')).toMatchObject([{ outcome: 'unchanged', sha }]);
    registry = registryFor([{ id: 'moved', name: 'Moved', repo: repo.remote, path: 'bots', entry: 'main.ts' }]);
    expect(await sync.syncNow('moved')).toMatchObject([{ outcome: 'activated', sha }]);
    expect((await listVersions(pool, 'moved')).map((version) => [version.source.path, version.source.entry, version.status])).toEqual([
      ['bots', 'main.ts', 'active'],
      ['bots', null, 'superseded'],
      ['wrong', null, 'rejected'],
    ]);
    await sync.stop();
  });

  it('refuses a repository over the size limit without replacing the active version, and does not fetch that head again', async () => {
    const { repo, sync, once } = await team('huge', {}, { limits: { maxRepoBytes: 1024 * 1024 } });
    const first = repo.push({ 'strategy.ts': GOOD_STRATEGY }, 'small');
    expect(await once()).toMatchObject({ outcome: 'activated', sha: first });
    const { randomBytes } = await import('node:crypto');
    const huge = repo.push({ 'data.bin': randomBytes(3 * 1024 * 1024).toString('base64') }, 'add a big file');
    expect(await once()).toMatchObject({ outcome: 'failed', kind: 'too-large', sha: huge, error: expect.stringMatching(/too large/) as unknown });
    expect(existsSync(path.join(fixture.root, 'data', 'repos', 'huge'))).toBe(false);
    expect(await once()).toMatchObject({ outcome: 'failed', kind: 'too-large', repeated: true });
    expect((await getActiveVersion(pool, 'huge'))?.commitSha).toBe(first);
    const fixed = repo.push({ 'data.bin': null }, 'remove the big file');
    expect(await once()).toMatchObject({ outcome: 'activated', sha: fixed });
    await sync.stop();
  });
});

describe('polling and rollback', () => {
  it('activates a pushed commit on the next poll, and an admin rollback holds until the team pushes again', async () => {
    const repo = createTeamRepo(fixture, 'polled');
    const registry: Registry = registryFor([{ id: 'polled', name: 'Polled', repo: repo.remote }]);
    await insertTeams(pool, registry);
    const activated: string[] = [];
    const first = repo.push({ 'strategy.ts': GOOD_STRATEGY }, 'first');
    const sync = startGitSync({
      pg: pool,
      logger: silentLog,
      dataDir: path.join(fixture.root, 'data'),
      registry: () => registry,
      pollIntervalMs: 100,
      allowedLocalRoots: [fixture.remotesDir],
      localPathBase: fixture.root,
      baseEnv: { PATH: process.env.PATH, HOME: fixture.home },
      smoke: { minutes: 3 },
      onActivated: (teamId, version) => {
        activated.push(`${teamId}@${version.commitSha}`);
      },
    });
    try {
      await vi.waitFor(() => expect(activated).toEqual([`polled@${first}`]), { timeout: 20_000, interval: 50 });
      const second = repo.push({ 'strategy.ts': GOOD_STRATEGY.replace('5', '8') }, 'second');
      await vi.waitFor(() => expect(activated).toEqual([`polled@${first}`, `polled@${second}`]), { timeout: 20_000, interval: 50 });

      await rollbackToVersion(pool, 'polled', { sha: first.slice(0, 10) }, 'admin:test');
      // Polls after the rollback see the same head and leave the admin's choice alone.
      const checkedBefore = (await readSyncState(pool, 'polled'))!.checkedAt.getTime();
      await vi.waitFor(async () => expect((await readSyncState(pool, 'polled'))!.checkedAt.getTime()).toBeGreaterThan(checkedBefore), { timeout: 20_000, interval: 50 });
      expect((await getActiveVersion(pool, 'polled'))?.commitSha).toBe(first);

      const third = repo.push({ 'strategy.ts': GOOD_STRATEGY.replace('5', '4') }, 'third');
      await vi.waitFor(async () => expect((await getActiveVersion(pool, 'polled'))?.commitSha).toBe(third), { timeout: 20_000, interval: 50 });
    } finally {
      await sync.stop();
    }
    // Stopped means stopped: nothing runs afterwards.
    const checkedAt = (await readSyncState(pool, 'polled'))!.checkedAt.getTime();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await readSyncState(pool, 'polled'))!.checkedAt.getTime()).toBe(checkedAt);
  });
});
