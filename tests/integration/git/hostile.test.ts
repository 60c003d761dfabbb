import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { getActiveVersion, listVersions } from '../../../loaders/activation/index.ts';
import { runGit } from '../../../loaders/git/gitProcess.ts';
import { GitSyncError, startGitSync, type GitSyncDeps, type TeamSyncResult } from '../../../loaders/git/index.ts';
import type { Registry } from '../../../registry/schema.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { silentLog } from '../../support/silentLog.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { createTeamRepo, git, GOOD_STRATEGY, insertTeams, makeGitFixture, registryFor, type GitFixture } from './gitFixtures.ts';

/** Repositories and registry entries that try to make the server run something or fetch too much. */

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: PgPool;
let temp: ReturnType<typeof makeTempDir>;
let fixture: GitFixture;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
  await migrateUp(pool);
  temp = makeTempDir('qtc-git-hostile-');
  fixture = makeGitFixture(temp.dir);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
  temp.remove();
});

async function syncOnce(id: string, repo: string, deps: Partial<GitSyncDeps> = {}, teamFields: Record<string, unknown> = {}): Promise<TeamSyncResult> {
  const registry: Registry = registryFor([{ id, name: id, repo, ...teamFields }]);
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
    ...deps,
  });
  try {
    const [result] = await sync.syncNow(id);
    return result!;
  } finally {
    await sync.stop();
  }
}

function writeHook(dir: string, name: string, marker: string): void {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name);
  writeFileSync(file, `#!/bin/sh\necho "${name} $PWD" >> "${marker}"\n`);
  chmodSync(file, 0o755);
}

describe('hostile repositories', () => {
  it('runs no hook: not from the global hooksPath, not from templates, not from the repository', async () => {
    const marker = path.join(fixture.root, 'hook-ran.txt');
    // A HOME whose git configuration would run hooks on checkout and on every ref update.
    const home = path.join(fixture.root, 'hostile-home');
    const hooks = path.join(fixture.root, 'global-hooks');
    const templates = path.join(fixture.root, 'templates');
    for (const name of ['post-checkout', 'reference-transaction', 'post-merge', 'post-rewrite', 'pre-auto-gc']) {
      writeHook(hooks, name, marker);
      writeHook(path.join(templates, 'hooks'), name, marker);
    }
    mkdirSync(home, { recursive: true });
    writeFileSync(path.join(home, '.gitconfig'), `[core]\n\thooksPath = ${hooks}\n[init]\n\ttemplateDir = ${templates}\n`);

    const repo = createTeamRepo(fixture, 'hooked');
    writeHook(path.join(repo.remote, 'hooks'), 'post-checkout', marker);
    writeHook(path.join(repo.remote, 'hooks'), 'reference-transaction', marker);
    const sha = repo.push(
      { 'strategy.ts': GOOD_STRATEGY, '.githooks/post-checkout': `#!/bin/sh\ntouch "${marker}"\n`, 'hooks/post-checkout': `#!/bin/sh\ntouch "${marker}"\n` },
      'with hooks',
    );

    // Control: a plain clone with that HOME runs the hooks, so the setup is live.
    execFileSync('git', ['clone', '--quiet', repo.remote, path.join(fixture.root, 'naive-clone')], { env: { PATH: process.env.PATH, HOME: home }, stdio: 'ignore' });
    expect(existsSync(marker)).toBe(true);
    rmSync(marker);

    const result = await syncOnce('hooked', repo.remote, { baseEnv: { PATH: process.env.PATH, HOME: home } });
    expect(result).toMatchObject({ outcome: 'activated', sha });
    expect(existsSync(marker)).toBe(false);
    expect(existsSync(path.join(fixture.root, 'data', 'repos', 'hooked', 'hooks'))).toBe(false);
  });

  it('fetches no submodule and follows no symbolic link', async () => {
    const secretRepo = createTeamRepo(fixture, 'secret-sub');
    const secretSha = secretRepo.push({ 'secret.ts': 'export const secret = 42;\n' }, 'secret');
    const repo = createTeamRepo(fixture, 'with-sub');
    git(fixture, repo.work, ['-c', 'protocol.file.allow=always', 'submodule', 'add', '--quiet', secretRepo.remote, 'sub']);
    symlinkSync('/etc/hostname', path.join(repo.work, 'linked.ts'));
    const strategy = `import { secret } from './sub/secret.ts';\nimport { host } from './linked.ts';\n${GOOD_STRATEGY}\nexport const used = [secret, host];\n`;
    const sha = repo.push({ 'strategy.ts': strategy }, 'uses a submodule and a link');

    const result = await syncOnce('with-sub', repo.remote);
    expect(result).toMatchObject({ outcome: 'rejected', sha });
    const [version] = await listVersions(pool, 'with-sub', 1);
    expect(version).toMatchObject({ rejectedAtStage: 'check' });
    expect(version!.findings.map((finding) => finding.rule)).toEqual(['import-not-found', 'import-not-found']);
    // The submodule's commit never reached the mirror.
    const mirror = path.join(fixture.root, 'data', 'repos', 'with-sub');
    expect(() => git(fixture, mirror, ['cat-file', '-e', secretSha])).toThrow();
    expect(existsSync(path.join(mirror, 'modules'))).toBe(false);
  });

  it('refuses ext:: and other command transports before git runs, and git refuses them too', async () => {
    const marker = path.join(fixture.root, 'ext-ran.txt');
    const extUrl = `ext::sh -c touch% ${marker}`;
    for (const [id, repo] of [
      ['ext-url', extUrl],
      ['fd-url', 'fd::0'],
      ['git-url', 'git://example.org/x.git'],
      ['http-url', 'http://example.org/x.git'],
    ] as const) {
      const result = await syncOnce(id, repo);
      expect(result).toMatchObject({ outcome: 'failed', kind: 'refused' });
    }
    expect(existsSync(marker)).toBe(false);

    // Below the registry check: git itself, as the sync runs it, refuses the transport.
    const error = await runGit(['ls-remote', '--', extUrl], { cwd: fixture.root, protocol: 'https', timeoutMs: 10_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitSyncError);
    expect(error).toMatchObject({ kind: 'refused', message: expect.stringMatching(/transport 'ext' not allowed/) as unknown });
    expect(existsSync(marker)).toBe(false);
    // Control: with ext allowed, the same URL does run the command.
    try {
      execFileSync('git', ['ls-remote', '--', extUrl], { cwd: fixture.root, env: { PATH: process.env.PATH, HOME: fixture.home, GIT_ALLOW_PROTOCOL: 'ext' }, stdio: 'ignore' });
    } catch {
      // sh's output is not a git protocol answer; the command ran all the same.
    }
    expect(existsSync(marker)).toBe(true);
  });

  it('refuses local repositories outside the allowed roots, also through a symbolic link', async () => {
    const outside = createTeamRepo({ ...fixture, remotesDir: path.join(fixture.root, 'elsewhere') }, 'outside');
    outside.push({ 'strategy.ts': GOOD_STRATEGY }, 'outside');
    expect(await syncOnce('outside', outside.remote)).toMatchObject({ outcome: 'failed', kind: 'refused', error: expect.stringMatching(/not under an allowed root/) as unknown });
    const link = path.join(fixture.remotesDir, 'link.git');
    symlinkSync(outside.remote, link);
    expect(await syncOnce('via-link', link)).toMatchObject({ outcome: 'failed', kind: 'refused', error: expect.stringMatching(/outside the allowed roots/) as unknown });
    expect(await getActiveVersion(pool, 'via-link')).toBeNull();
  });

  it('kills git when a server never answers', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const result = await syncOnce('silent', `https://127.0.0.1:${port}/team/strategy.git`, { limits: { timeoutMs: 1_500 } });
      expect(result).toMatchObject({ outcome: 'failed', kind: 'timeout', error: expect.stringMatching(/did not finish within 1500 ms/) as unknown });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
