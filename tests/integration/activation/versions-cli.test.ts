import { execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { getActiveVersion, recordVersion, type NewVersion } from '../../../loaders/activation/index.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { makeTempDir } from '../../support/tempDir.ts';

/** `qtc versions list|rollback` as a process on a real Postgres. */

const projectRoot = path.resolve(import.meta.dirname, '../../..');
const sha = (digit: string) => digit.repeat(40);

function version(commit: string, ok: boolean, message: string): NewVersion {
  return {
    teamId: 'alpha',
    commit: { sha: commit, authorName: 'Ada', authorEmail: 'ada@example.org', committedAt: new Date('2025-01-02T03:04:05Z'), message },
    source: { repo: 'https://example.org/a.git', branch: 'main', path: '.', entry: null },
    timings: {},
    outcome: ok
      ? { ok: true, compiled: { code: '/* bundle */', sourceMap: '{}', filename: 'strategy.bundle.js' } }
      : { ok: false, stage: 'check', findings: [{ file: 'strategy.ts', line: 3, column: 7, rule: 'banned-name', message: 'eval is not available' }], error: null },
  };
}

describe('qtc versions', { timeout: 120_000 }, () => {
  const temp = makeTempDir('qtc-versions-cli-');
  let database: { url: string; drop: () => Promise<void> };
  let pool: PgPool;

  function qtc(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: database.url, QTC_DATA_DIR: temp.dir };
    return new Promise((resolve) => {
      execFile(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'versions', ...args], { cwd: projectRoot, env }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPgPool({ url: database.url, max: 2, connectTimeoutMs: 5_000 });
    await migrateUp(pool);
    await pool.query(`INSERT INTO teams (id, name, repo) VALUES ('alpha', 'Alpha', 'https://example.org/a.git')`);
    await recordVersion(pool, version(sha('a'), true, 'first'));
    await recordVersion(pool, version(sha('b'), false, 'uses eval'));
    await recordVersion(pool, version(sha('c'), true, 'second\n\nbody'));
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
    temp.remove();
  });

  it('lists versions newest first with the findings of rejected ones', async () => {
    const listed = await qtc('list', 'alpha');
    expect(listed, listed.stderr).toMatchObject({ code: 0 });
    const lines = listed.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe('alpha: never synced');
    expect(lines[1]).toMatch(/^#3 {2}cccccccccccc {2}active {16}2025-01-02 03:04 {2}Ada {2}second$/);
    expect(lines[2]).toMatch(/^#2 {2}bbbbbbbbbbbb {2}rejected at check/);
    expect(lines[3]).toBe('      strategy.ts:3:7  banned-name  eval is not available');
    expect(lines[4]).toMatch(/^#1 {2}aaaaaaaaaaaa {2}superseded/);
    const json = await qtc('list', 'alpha', '--json', '--limit', '1');
    expect(JSON.parse(json.stdout)).toMatchObject({ team: 'alpha', sync: null, versions: [{ id: 3, commitSha: sha('c') }] });
  });

  it('rolls back by SHA prefix or #id and explains a refusal', async () => {
    const rolled = await qtc('rollback', 'alpha', 'aaaa');
    expect(rolled, rolled.stderr).toMatchObject({ code: 0 });
    expect(rolled.stdout).toContain('alpha now runs #1 aaaaaaaaaaaa (first)');
    expect((await getActiveVersion(pool, 'alpha'))?.commitSha).toBe(sha('a'));
    const refused = await qtc('rollback', 'alpha', '#2');
    expect(refused).toMatchObject({ code: 1, stderr: 'qtc: version 2 of team alpha was rejected at the check stage and cannot be activated\n' });
    const { rows } = await pool.query<{ actor: string }>(`SELECT actor FROM audit_events WHERE kind = 'strategy.rollback'`);
    expect(rows.map((row) => row.actor)).toEqual([expect.stringMatching(/^cli/) as unknown]);
  });
});
