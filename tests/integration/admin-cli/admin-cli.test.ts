import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { ApiKeyStore } from '../../../registry/keys/store.ts';
import { acquireControlLeadership } from '../../../registry/leader.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { silentLog } from '../../support/silentLog.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const projectRoot = path.resolve(import.meta.dirname, '../../..');

const REGISTRY = `# Our competition. Comments stay.
competition:
  name: CLI Cup           # aligned comment
  universe: [ SPY ]
teams:
  - id: alpha             # the first team
    name: Alpha
    repo: https://git.example.org/alpha.git
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('qtc admin as a process, on a registry file and a real Postgres', { timeout: 120_000 }, () => {
  const temp = makeTempDir('qtc-admin-cli-');
  const registryFile = path.join(temp.dir, 'team_registry.yaml');
  let database: { url: string; drop: () => Promise<void> };
  let pool: PgPool;

  function qtc(...args: string[]): Promise<Run> {
    const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL: database.url, QTC_REGISTRY_FILE: registryFile, KEY_ROTATION_GRACE_MS: '3600000', QTC_DATA_DIR: temp.dir };
    return new Promise((resolve) => {
      execFile(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'admin', ...args], { cwd: projectRoot, env }, (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
    });
  }

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPgPool({ url: database.url, max: 2, connectTimeoutMs: 5_000 });
    writeFileSync(registryFile, REGISTRY);
  });
  afterAll(async () => {
    await pool.end();
    await database.drop();
    temp.remove();
  });

  it('adds, disables and enables teams, keeping the comments, and refuses invalid edits', async () => {
    const added = await qtc('teams', 'add', 'beta', '--name', 'Beta Team', '--repo', 'https://git.example.org/beta.git', '--branch', 'live', '--params', '{"lookback":20}');
    expect(added, added.stderr).toMatchObject({ code: 0 });
    expect(readFileSync(registryFile, 'utf8')).toBe(
      `${REGISTRY}  - id: beta\n    name: Beta Team\n    repo: https://git.example.org/beta.git\n    branch: live\n    params: { lookback: 20 }\n`,
    );

    const disabled = await qtc('teams', 'disable', 'beta');
    expect(disabled.code, disabled.stderr).toBe(0);
    expect(readFileSync(registryFile, 'utf8')).toContain('    params: { lookback: 20 }\n    enabled: false\n');
    const listed = await qtc('teams', 'list', '--json');
    expect(JSON.parse(listed.stdout)).toEqual([
      { id: 'alpha', name: 'Alpha', enabled: true, repo: 'https://git.example.org/alpha.git', branch: 'main', path: '.' },
      { id: 'beta', name: 'Beta Team', enabled: false, repo: 'https://git.example.org/beta.git', branch: 'live', path: '.' },
    ]);
    expect((await qtc('teams', 'enable', 'beta')).code).toBe(0);
    expect(readFileSync(registryFile, 'utf8')).toContain('    enabled: true\n');

    const before = readFileSync(registryFile, 'utf8');
    const refused = await qtc('teams', 'add', 'Not A Slug', '--name', 'X', '--repo', '/x');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^qtc: .*the edit would make the registry invalid, so the file was not changed: \d+:\d+ teams\[2\]\.id: a slug/);
    expect((await qtc('teams', 'disable', 'nobody')).stderr).toMatch(/no team "nobody" in the registry/);
    expect(readFileSync(registryFile, 'utf8')).toBe(before);
    expect(readFileSync(registryFile, 'utf8')).toContain('  name: CLI Cup           # aligned comment\n');
  });

  it('issues, lists, rotates and revokes keys; a key opens its team', async () => {
    const issued = await qtc('keys', 'issue', 'beta', '--json');
    expect(issued.code, issued.stderr).toBe(0);
    const { key, keyId, teamId } = JSON.parse(issued.stdout) as { key: string; keyId: string; teamId: string };
    expect(teamId).toBe('beta');
    expect(key).toMatch(new RegExp(`^qtc_team_${keyId}_[0-9A-Za-z]{43}$`));
    const store = new ApiKeyStore({ pool, graceMs: 3_600_000 });
    expect(await store.verify(key)).toEqual({ ok: true, teamId: 'beta', keyId });

    const human = await qtc('keys', 'issue', 'alpha');
    expect(human.stdout).toMatch(/^API key [0-9A-Za-z]{12} for team alpha:\n\n {2}qtc_team_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}\n\nShown once/);

    const listed = JSON.parse((await qtc('keys', 'list', 'beta', '--json')).stdout) as Array<{ keyId: string; status: string }>;
    expect(listed).toEqual([expect.objectContaining({ keyId, status: 'active' })]);
    expect(JSON.stringify(listed)).not.toContain(key.split('_').at(-1));

    const rotated = await qtc('keys', 'rotate', keyId, '--json');
    expect(rotated.code, rotated.stderr).toBe(0);
    const next = JSON.parse(rotated.stdout) as { key: string; keyId: string; previous: { keyId: string; expiresAt: string } };
    expect(next.previous.keyId).toBe(keyId);
    const graceLeft = new Date(next.previous.expiresAt).getTime() - Date.now();
    expect(graceLeft).toBeGreaterThan(3_000_000);
    expect(graceLeft).toBeLessThanOrEqual(3_600_000);
    expect(await store.verify(key)).toMatchObject({ ok: true });
    expect(await store.verify(next.key)).toMatchObject({ ok: true, teamId: 'beta' });

    const revoked = await qtc('keys', 'revoke', keyId);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`API key ${keyId} of team beta is revoked`);
    expect(await store.verify(key)).toMatchObject({ ok: false });
    expect(await store.verify(next.key)).toMatchObject({ ok: true });

    const audit = await pool.query<{ kind: string }>("SELECT kind FROM audit_events WHERE kind LIKE 'api_key.%' ORDER BY id");
    expect(audit.rows.map((row) => row.kind)).toEqual(['api_key.issued', 'api_key.issued', 'api_key.rotated', 'api_key.revoked']);
  });

  it('writes the registry only under the control leader lock: while a control process holds it, the CLI reads what that process publishes', async () => {
    const versions = async () => (await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM registry_versions')).rows[0]!.n;
    const published = await versions();
    expect(published).toBeGreaterThan(0); // the keys test published the file under the lock (no control process ran)

    const control = await acquireControlLeadership({ pool, log: silentLog, signal: new AbortController().signal });
    try {
      writeFileSync(registryFile, `${readFileSync(registryFile, 'utf8')}  - id: gamma\n    name: Gamma\n    repo: https://git.example.org/gamma.git\n`);
      const refused = await qtc('keys', 'issue', 'gamma');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('no team "gamma" in the registry');
      expect(await versions()).toBe(published);
      expect((await pool.query("SELECT 1 FROM teams WHERE id = 'gamma'")).rowCount).toBe(0);
    } finally {
      await control.release();
    }
    // No control process: the CLI takes the lock itself, publishes the edit, and issues.
    const issued = await qtc('keys', 'issue', 'gamma', '--json');
    expect(issued.code, issued.stderr).toBe(0);
    expect(await versions()).toBe(published + 1);
  });

  it('explains what is wrong instead of issuing', async () => {
    const unknownTeam = await qtc('keys', 'issue', 'nobody');
    expect(unknownTeam.code).toBe(1);
    expect(unknownTeam.stderr).toBe('qtc: no team "nobody" in the registry (add it to team_registry.yaml, or: qtc admin teams add)\n');
    const unknownKey = await qtc('keys', 'rotate', 'ZZZZZZZZZZZZ');
    expect(unknownKey.stderr).toBe('qtc: no API key with id "ZZZZZZZZZZZZ"\n');
  });
});
