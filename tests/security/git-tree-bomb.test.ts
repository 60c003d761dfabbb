import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../data/postgres/pool.ts';
import { getActiveVersion, listVersions } from '../../loaders/activation/index.ts';
import { DEFAULT_GIT_LIMITS, readSyncState, startGitSync, type GitSync } from '../../loaders/git/index.ts';
import type { Registry } from '../../registry/schema.ts';
import { createTestDatabase } from '../support/databases.ts';
import { silentLog } from '../support/silentLog.ts';
import { makeTempDir } from '../support/tempDir.ts';
import { createTeamRepo, GOOD_STRATEGY, insertTeams, makeGitFixture, registryFor, type GitFixture } from '../integration/git/gitFixtures.ts';

/**
 * Issue 9, finding 2: a repository of a few kilobytes whose trees hold copies of each other lists
 * millions of paths. The sync must refuse it while git is still listing, with bounded memory, and
 * remember the refusal so that later polls at the same head do not fetch or list it again.
 * Everything runs the real sync: real git, real Postgres; the commits are built with git plumbing.
 */

const MB = 1024 * 1024;

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: PgPool;
let temp: ReturnType<typeof makeTempDir>;
let fixture: GitFixture;
/** Every git command the sync runs is appended here by a wrapper script found first on its PATH. */
let gitLog: string;
let wrapperDir: string;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
  await migrateUp(pool);
  temp = makeTempDir('qtc-git-tree-bomb-');
  fixture = makeGitFixture(temp.dir);
  gitLog = path.join(temp.dir, 'git-calls.log');
  wrapperDir = path.join(temp.dir, 'bin');
  mkdirSync(wrapperDir);
  const realGit = execFileSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();
  writeFileSync(path.join(wrapperDir, 'git'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${gitLog}'\nexec '${realGit}' "$@"\n`);
  chmodSync(path.join(wrapperDir, 'git'), 0o755);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
  temp.remove();
});

/** Git plumbing in the team's bare repository: objects are written directly, nothing is checked out. */
function plumbing(repo: string) {
  const run = (args: string[], input = ''): string =>
    execFileSync('git', args, {
      cwd: repo,
      input,
      encoding: 'utf8',
      maxBuffer: 64 * MB,
      env: {
        PATH: process.env.PATH,
        HOME: fixture.home,
        GIT_CONFIG_NOSYSTEM: '1',
        GIT_AUTHOR_NAME: 'Mallory',
        GIT_AUTHOR_EMAIL: 'mallory@example.org',
        GIT_COMMITTER_NAME: 'Mallory',
        GIT_COMMITTER_EMAIL: 'mallory@example.org',
      },
    }).trim();
  return {
    blob: (content: string) => run(['hash-object', '-w', '--stdin'], content),
    /** entries: name -> [mode, type, oid]. */
    tree: (entries: Array<[name: string, mode: string, type: 'blob' | 'tree', oid: string]>) =>
      run(['mktree'], entries.map(([name, mode, type, oid]) => `${mode} ${type} ${oid}\t${name}\n`).join('')),
    /** Commits `tree` on top of the branch and moves the branch to it, as a push would. */
    commit(tree: string, message: string): string {
      let parent = '';
      try {
        parent = run(['rev-parse', '--verify', '--quiet', 'refs/heads/main']);
      } catch {
        // The first commit of the branch.
      }
      const sha = run(['commit-tree', tree, ...(parent === '' ? [] : ['-p', parent]), '-m', message]);
      run(['update-ref', 'refs/heads/main', sha]);
      return sha;
    },
    objectBytes: () => Number(run(['count-objects', '-v']).match(/^size: (\d+)$/m)?.[1] ?? NaN) * 1024,
  };
}

/** Ten copies of `oid` named `${prefix}0` … `${prefix}9`. */
function tenOf(prefix: string, mode: string, type: 'blob' | 'tree', oid: string): Array<[string, string, 'blob' | 'tree', string]> {
  return Array.from({ length: 10 }, (_, i) => [`${prefix}${i}`, mode, type, oid]);
}

/** A team following `remote`, syncing only when asked, with git found through the logging wrapper. */
async function teamSync(id: string, remote: string): Promise<{ sync: GitSync; once: () => ReturnType<GitSync['syncNow']> }> {
  const registry: Registry = registryFor([{ id, name: id, repo: remote }]);
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
    baseEnv: { PATH: `${wrapperDir}:${process.env.PATH ?? ''}`, HOME: fixture.home },
    smoke: { minutes: 3 },
  });
  return { sync, once: () => sync.syncNow(id) };
}

/** The git commands logged since the last call. */
function takeGitCalls(): string[] {
  let text = '';
  try {
    text = readFileSync(gitLog, 'utf8');
  } catch {
    // Nothing ran yet.
  }
  writeFileSync(gitLog, '');
  return text.split('\n').filter((line) => line !== '');
}

/**
 * Runs `work` while sampling this process's resident memory. Over `limitBytes` of growth the sync
 * is stopped at once (which kills its git), so an unbounded listing fails the test quickly instead
 * of taking the machine's memory.
 */
async function withMemoryWatch<T>(sync: GitSync, limitBytes: number, work: () => Promise<T>): Promise<{ result: T; growth: number }> {
  const before = process.memoryUsage().rss;
  let peak = before;
  const sample = () => {
    peak = Math.max(peak, process.memoryUsage().rss);
    if (peak - before > limitBytes) void sync.stop();
  };
  const timer = setInterval(sample, 20);
  try {
    const result = await work();
    sample();
    return { result, growth: peak - before };
  } finally {
    clearInterval(timer);
  }
}

describe('a Git tree bomb', () => {
  it('is refused while git lists it, with bounded memory, is not fetched again at the same head, and a good commit after it is activated', async () => {
    const repo = createTeamRepo(fixture, 'bomber');
    const git = plumbing(repo.remote);
    // A blob, a tree of 10 copies of it, then 6 levels of 10 copies of the level below: 10^7 files.
    let tree = git.tree(tenOf('f', '100644', 'blob', git.blob('export const x = 1;\n')));
    for (let level = 0; level < 6; level++) tree = git.tree(tenOf('d', '040000', 'tree', tree));
    const bomb = git.commit(tree, 'tree bomb');
    expect(git.objectBytes()).toBeLessThan(100 * 1024);

    const { sync, once } = await teamSync('bomber', repo.remote);
    try {
      takeGitCalls();
      const started = performance.now();
      const { result, growth } = await withMemoryWatch(sync, 200 * MB, once);
      const seconds = (performance.now() - started) / 1000;
      expect(growth, `resident memory grew by ${(growth / MB).toFixed(0)} MB`).toBeLessThan(200 * MB);
      expect(result).toMatchObject([{ outcome: 'rejected', sha: bomb }]);
      // Generous: listing all 10^7 paths takes minutes; the limit stops git after a few thousand.
      expect(seconds).toBeLessThan(30);

      const [version] = await listVersions(pool, 'bomber', 1);
      expect(version).toMatchObject({ commitSha: bomb, status: 'rejected', rejectedAtStage: 'export' });
      // Depth-first, the 2,001st file comes before the 5,001st entry.
      expect(version!.error).toBe(`the folder has more than ${DEFAULT_GIT_LIMITS.maxFolderFiles} files (limit ${DEFAULT_GIT_LIMITS.maxFolderFiles}); keep only the strategy in it`);
      expect(version!.error).not.toContain('\0');
      const firstCalls = takeGitCalls();
      expect(firstCalls.some((call) => call.startsWith('fetch '))).toBe(true);
      expect(firstCalls.some((call) => call.startsWith('ls-tree '))).toBe(true);
      // No blob of the bomb was read.
      expect(firstCalls.filter((call) => call.startsWith('cat-file blob'))).toEqual([]);

      // The next polls at the same head look at the branch and nothing else.
      for (let poll = 0; poll < 2; poll++) {
        expect(await once()).toMatchObject([{ outcome: 'unchanged', sha: bomb }]);
        const calls = takeGitCalls();
        expect(calls.some((call) => call.startsWith('ls-remote '))).toBe(true);
        expect(calls.filter((call) => /^(fetch|ls-tree|cat-file|log) /.test(call))).toEqual([]);
      }
      expect(await readSyncState(pool, 'bomber')).toMatchObject({ headSha: bomb, errorKind: null });
      expect(await listVersions(pool, 'bomber')).toHaveLength(1);

      // The team removes the bomb: the new head is fetched and evaluated as usual.
      const good = git.commit(git.tree([['strategy.ts', '100644', 'blob', git.blob(GOOD_STRATEGY)]]), 'only the strategy');
      expect(await once()).toMatchObject([{ outcome: 'activated', sha: good }]);
      expect((await getActiveVersion(pool, 'bomber'))?.commitSha).toBe(good);
      expect((await listVersions(pool, 'bomber')).map((v) => [v.commitSha, v.status])).toEqual([
        [good, 'active'],
        [bomb, 'rejected'],
      ]);
    } finally {
      await sync.stop();
    }
  }, 120_000);

  it('made of nothing but folders (git lists no file at all) is refused by its number of entries', async () => {
    const repo = createTeamRepo(fixture, 'folders');
    const git = plumbing(repo.remote);
    // 10 levels of 10 copies of the empty tree: 10^10 folders, no file. Listing only files, git
    // would walk them all without writing a line until the time limit.
    let tree = git.tree([]);
    for (let level = 0; level < 10; level++) tree = git.tree(tenOf('d', '040000', 'tree', tree));
    const bomb = git.commit(tree, 'folder bomb');

    const { sync, once } = await teamSync('folders', repo.remote);
    try {
      const { result, growth } = await withMemoryWatch(sync, 200 * MB, once);
      expect(growth).toBeLessThan(200 * MB);
      expect(result).toMatchObject([{ outcome: 'rejected', sha: bomb }]);
      expect((await listVersions(pool, 'folders', 1))[0]!.error).toMatch(/more than 5000 entries/);
      expect(await once()).toMatchObject([{ outcome: 'unchanged', sha: bomb }]);
    } finally {
      await sync.stop();
    }
  }, 120_000);

  it('refuses folders too deep, files too large, too many files and overlong names with a clear, clipped reason', async () => {
    const repo = createTeamRepo(fixture, 'limits');
    const git = plumbing(repo.remote);
    const strategy = git.blob(GOOD_STRATEGY);
    const withStrategy = (entries: Array<[string, string, 'blob' | 'tree', string]>) => git.tree([['strategy.ts', '100644', 'blob', strategy], ...entries]);

    let deep = git.tree([['leaf.ts', '100644', 'blob', strategy]]);
    for (let level = 0; level < DEFAULT_GIT_LIMITS.maxFolderDepth; level++) deep = git.tree([['d', '040000', 'tree', deep]]);
    const manyFiles = git.tree(Array.from({ length: DEFAULT_GIT_LIMITS.maxFolderFiles + 1 }, (_, i) => [`f${i}.ts`, '100644', 'blob', strategy]));
    const cases: Array<{ tree: string; error: RegExp }> = [
      { tree: withStrategy([['lib', '040000', 'tree', deep]]), error: /^the path "lib\/d\/d\/.*" is 21 levels deep \(limit 20\)$/ },
      // 2 MiB of one letter: a few kilobytes in the repository, never read by the sync.
      { tree: withStrategy([['table.json', '100644', 'blob', git.blob('a'.repeat(2 * MB))]]), error: /^the file "table.json" has 2.0 MiB \(limit 1.0 MiB per file\)/ },
      { tree: withStrategy([['many', '040000', 'tree', manyFiles]]), error: /^the folder has more than 2000 files \(limit 2000\)/ },
      { tree: withStrategy([['x'.repeat(3000), '100644', 'blob', strategy]]), error: /^the file name "x{200}…" is not allowed$/ },
    ];
    const { sync, once } = await teamSync('limits', repo.remote);
    try {
      for (const { tree, error } of cases) {
        const sha = git.commit(tree, 'over a limit');
        expect(await once()).toMatchObject([{ outcome: 'rejected', sha }]);
        const [version] = await listVersions(pool, 'limits', 1);
        expect(version).toMatchObject({ commitSha: sha, rejectedAtStage: 'export' });
        expect(version!.error).toMatch(error);
        expect(version!.error!.length).toBeLessThanOrEqual(500);
        expect(version!.error).not.toContain('\0');
      }
      const good = git.commit(withStrategy([['README.md', '100644', 'blob', git.blob('# strategy\n')]]), 'within the limits');
      expect(await once()).toMatchObject([{ outcome: 'activated', sha: good }]);
    } finally {
      await sync.stop();
    }
  }, 120_000);
});
