import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import {
  getActiveVersion,
  listVersions,
  loadActiveVersions,
  recordVersion,
  rollbackToVersion,
  VersionError,
  watchActivations,
  type ActivationNotice,
  type NewVersion,
} from '../../../loaders/activation/index.ts';
import { createTestDatabase } from '../../support/databases.ts';

/** The version history in Postgres: atomic activation, rejection, rollback, and what the database refuses. */

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: PgPool;

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
  await migrateUp(pool);
  await pool.query(`INSERT INTO teams (id, name, repo) VALUES ('alpha', 'Alpha', 'https://example.org/a.git'), ('beta', 'Beta', 'https://example.org/b.git')`);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

const sha = (n: number) => n.toString(16).padStart(40, '0');

function version(teamId: string, n: number, ok: boolean): NewVersion {
  return {
    teamId,
    commit: { sha: sha(n), authorName: 'Ada', authorEmail: 'ada@example.org', committedAt: new Date('2025-01-02T03:04:05Z'), message: `commit ${n}` },
    source: { repo: 'https://example.org/a.git', branch: 'main', path: '.', entry: null },
    timings: { check: 1, compile: 2, smoke: 3 },
    outcome: ok
      ? { ok: true, compiled: { code: `/* v${n} */`, sourceMap: '{}', filename: 'strategy.bundle.js' } }
      : { ok: false, stage: 'check', findings: [{ file: 'strategy.ts', line: 1, column: 1, rule: 'syntax', message: 'Unexpected token' }], error: null },
  };
}

describe('strategy versions', () => {
  it('activates, rejects without touching the active version, and rolls back to an earlier good version', async () => {
    const first = await recordVersion(pool, version('alpha', 1, true));
    expect(first).toMatchObject({ activated: true, duplicate: false, version: { status: 'active' } });
    const bad = await recordVersion(pool, version('alpha', 2, false));
    expect(bad).toMatchObject({ activated: false, version: { status: 'rejected', rejectedAtStage: 'check', findings: [{ rule: 'syntax' }] } });
    expect((await getActiveVersion(pool, 'alpha'))?.commitSha).toBe(sha(1));
    await recordVersion(pool, version('alpha', 3, true));
    expect(await getActiveVersion(pool, 'alpha')).toMatchObject({ commitSha: sha(3), strategy: { code: '/* v3 */' }, activationReason: 'push', activatedBy: 'git-sync' });

    const rolledBack = await rollbackToVersion(pool, 'alpha', { versionId: first.version.id }, 'admin:root');
    expect(rolledBack).toMatchObject({ commitSha: sha(1), status: 'active' });
    expect(await getActiveVersion(pool, 'alpha')).toMatchObject({ commitSha: sha(1), strategy: { code: '/* v1 */' }, activationReason: 'rollback', activatedBy: 'admin:root' });
    expect((await listVersions(pool, 'alpha')).map((v) => [v.commitSha, v.status])).toEqual([
      [sha(3), 'superseded'],
      [sha(2), 'rejected'],
      [sha(1), 'active'],
    ]);
    const { rows } = await pool.query<{ kind: string; actor: string; details: { previousVersionId: number } }>(
      `SELECT kind, actor, details FROM audit_events WHERE subject = 'alpha' ORDER BY id`,
    );
    expect(rows.map((row) => row.kind)).toEqual(['strategy.activated', 'strategy.rejected', 'strategy.activated', 'strategy.rollback']);
    expect(rows[3]).toMatchObject({ actor: 'admin:root', details: { previousVersionId: (await listVersions(pool, 'alpha'))[0]!.id } });
  });

  it('refuses to roll back to a rejected, unknown, ambiguous or already active version', async () => {
    await expect(rollbackToVersion(pool, 'alpha', { sha: sha(2) }, 'admin')).rejects.toThrow(/was rejected at the check stage/);
    await expect(rollbackToVersion(pool, 'alpha', { sha: sha(1) }, 'admin')).rejects.toThrow(/already team alpha's active version/);
    await expect(rollbackToVersion(pool, 'alpha', { versionId: 999_999 }, 'admin')).rejects.toThrow(VersionError);
    await expect(rollbackToVersion(pool, 'alpha', { sha: '0000' }, 'admin')).rejects.toThrow(/matches 3 versions/);
    await expect(rollbackToVersion(pool, 'beta', { sha: sha(3) }, 'admin')).rejects.toThrow(/team beta has no commit/);
    await expect(rollbackToVersion(pool, 'alpha', { sha: 'xyz' }, 'admin')).rejects.toThrow(/not a commit SHA/);
  });

  it('records a commit once: a second evaluation of the same commit changes nothing', async () => {
    const again = await recordVersion(pool, version('alpha', 3, true));
    expect(again).toMatchObject({ duplicate: true, activated: false, version: { commitSha: sha(3), status: 'superseded' } });
    expect((await getActiveVersion(pool, 'alpha'))?.commitSha).toBe(sha(1));
  });

  it('never leaves two active versions, even when activations race', async () => {
    const results = await Promise.all([10, 11, 12, 13].map((n) => recordVersion(pool, version('beta', n, true))));
    expect(results.every((result) => result.activated)).toBe(true);
    const { rows } = await pool.query<{ count: string }>(`SELECT count(*) FROM strategy_versions WHERE team_id = 'beta' AND status = 'active'`);
    expect(rows[0]!.count).toBe('1');
    const active = await getActiveVersion(pool, 'beta');
    const newest = (await listVersions(pool, 'beta'))[0]!;
    expect(active?.id).toBe(newest.id);
    expect((await loadActiveVersions(pool)).map((v) => [v.teamId, v.commitSha])).toEqual([
      ['alpha', sha(1)],
      ['beta', newest.commitSha],
    ]);
  });

  it('is enforced by the schema: one active version per team, bundles for every non-rejected version', async () => {
    await expect(
      pool.query(
        `INSERT INTO strategy_versions (team_id, commit_sha, author_name, author_email, message, committed_at, source, status, bundle_code, bundle_source_map, bundle_filename)
                  VALUES ('alpha', $1, 'a', 'a', 'm', now(), '{}', 'active', 'x', '{}', 'f')`,
        [sha(99)],
      ),
    ).rejects.toThrow(/strategy_versions_one_active_idx/);
    await expect(
      pool.query(
        `INSERT INTO strategy_versions (team_id, commit_sha, author_name, author_email, message, committed_at, source, status)
                  VALUES ('alpha', $1, 'a', 'a', 'm', now(), '{}', 'superseded')`,
        [sha(98)],
      ),
    ).rejects.toThrow(/check constraint/);
  });

  it('tells listeners in any process when a version is activated or rolled back, after the commit', async () => {
    await pool.query(`INSERT INTO teams (id, name, repo) VALUES ('gamma', 'Gamma', 'https://example.org/g.git')`);
    const notices: ActivationNotice[] = [];
    const watcher = await watchActivations(pool, (notice) => notices.push(notice));
    try {
      const first = await recordVersion(pool, version('gamma', 20, true));
      await recordVersion(pool, version('gamma', 21, false));
      const second = await recordVersion(pool, version('gamma', 22, true));
      await rollbackToVersion(pool, 'gamma', { versionId: first.version.id }, 'admin');
      await vi.waitFor(() => expect(notices).toHaveLength(3), { timeout: 10_000, interval: 20 });
      expect(notices).toEqual([
        { teamId: 'gamma', versionId: first.version.id, reason: 'push' },
        { teamId: 'gamma', versionId: second.version.id, reason: 'push' },
        { teamId: 'gamma', versionId: first.version.id, reason: 'rollback' },
      ]);
    } finally {
      await watcher.close();
    }
  });
});
