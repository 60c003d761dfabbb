import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { connectRedis, createRedis, type RedisClient } from '../../../data/redis/client.ts';
import type { TeamSyncResult } from '../../../loaders/git/syncTeam.ts';
import { ApiKeyStore } from '../../../registry/keys/store.ts';
import { loadRegistryFile } from '../../../registry/load.ts';
import { syncTeams } from '../../../registry/sync.ts';
import { decodeStreamEntry } from '../../../server/live/activity.ts';
import { ADMIN_KEY, buildFullApiApp, type FullApiApp } from '../api/app.ts';
import { openApiWorld, type ApiWorld } from '../api/support.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { makeTempDir } from '../../support/tempDir.ts';

/**
 * `qtc admin halt|resume|status|ticks|reconciliation|sync` and `teams add|remove` as processes, on a
 * registry file, a real Postgres and Redis (and, for sync, a running API).
 */

const projectRoot = path.resolve(import.meta.dirname, '../../..');
const REGISTRY = `competition:
  name: Ops Cup
  universe: [SPY]
teams:
  - id: alpha
    name: Alpha
    repo: https://git.example.org/alpha.git
  - id: beta
    name: Beta
    repo: https://git.example.org/beta.git
`;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const user = (() => {
  try {
    return os.userInfo().username;
  } catch {
    return '';
  }
})();

describe('qtc admin operations as processes', { timeout: 120_000 }, () => {
  const temp = makeTempDir('qtc-admin-ops-cli-');
  const registryFile = path.join(temp.dir, 'team_registry.yaml');
  const localRoot = path.join(temp.dir, 'local-repos');
  const redisPrefix = `qtc-test-${randomBytes(5).toString('hex')}`;
  let database: { url: string; drop: () => Promise<void> };
  let pool: PgPool;
  let redis: RedisClient;

  function qtc(args: string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<Run> {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: database.url,
      REDIS_URL: inject('redisUrl'),
      QTC_REDIS_PREFIX: redisPrefix,
      QTC_REGISTRY_FILE: registryFile,
      QTC_DATA_DIR: temp.dir,
      GIT_ALLOWED_LOCAL_PATHS: localRoot,
      QTC_ADMIN_KEYS: '',
      QTC_ADMIN_KEY: '',
      ...extraEnv,
    };
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
    mkdirSync(localRoot, { recursive: true });
    redis = createRedis(inject('redisUrl'));
    await connectRedis(redis, 5_000);
  });
  afterAll(async () => {
    redis.disconnect();
    await pool.end();
    await database.drop();
    temp.remove();
  });

  it('halts and resumes the competition and a team: in Postgres, audited as the CLI user, announced', async () => {
    // The teams table follows the registry, as the server's load does.
    const status = await qtc(['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    await syncTeams(pool, await loadRegistryFile(registryFile));

    const halted = await qtc(['halt', '--reason', 'broker outage', '--json']);
    expect(halted.code, halted.stderr).toBe(0);
    expect(JSON.parse(halted.stdout)).toMatchObject({ changed: true, announced: true, halt: { reason: 'broker outage', halted_by: `cli:${user}` } });
    const again = await qtc(['halt']);
    expect(again.stdout).toMatch(/^the competition was already halted \(since .* by cli:.*: broker outage\); nothing changed\n$/);

    const team = await qtc(['halt', '--team', 'beta']);
    expect(team.code, team.stderr).toBe(0);
    expect(team.stdout).toBe('team beta is halted from the next minute (its strategy does not run): halted by an admin (no reason given)\n');
    const overview = JSON.parse((await qtc(['status', '--json'])).stdout) as {
      competition: { halt: { reason: string } | null };
      teams: Array<{ id: string; halt: { reason: string } | null }>;
    };
    expect(overview.competition.halt?.reason).toBe('broker outage');
    expect(overview.teams.map((t) => [t.id, t.halt?.reason ?? null])).toEqual([
      ['alpha', null],
      ['beta', 'halted by an admin (no reason given)'],
    ]);
    const human = await qtc(['status']);
    expect(human.stdout).toMatch(/^competition: HALTED since .* broker outage\n/);
    expect(human.stdout).toMatch(/\nbeta\s+enabled,halted\s+no active version/);

    expect((await qtc(['resume', '--team', 'beta'])).stdout).toBe('team beta resumes from the next minute\n');
    expect(JSON.parse((await qtc(['resume', '--json'])).stdout)).toEqual({ changed: true, announced: true, halt: null });
    expect((await qtc(['resume'])).stdout).toBe('the competition was not halted; nothing changed\n');
    const unknown = await qtc(['halt', '--team', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('qtc: no team "nobody"\n');

    expect((await pool.query('SELECT count(*)::int AS n FROM halts')).rows[0]).toEqual({ n: 0 });
    const audit = await pool.query<{ kind: string; actor: string; subject: string | null }>(
      `SELECT kind, actor, subject FROM audit_events WHERE kind LIKE 'competition.%' OR kind LIKE 'team.%' ORDER BY id`,
    );
    expect(audit.rows).toEqual([
      { kind: 'competition.halted', actor: `cli:${user}`, subject: null },
      { kind: 'team.halted', actor: `cli:${user}`, subject: 'beta' },
      { kind: 'team.resumed', actor: `cli:${user}`, subject: 'beta' },
      { kind: 'competition.resumed', actor: `cli:${user}`, subject: null },
    ]);
    // Announced on this prefix's activity stream, as the API's halts are.
    const events = (await redis.xrange(`${redisPrefix}:activity`, '-', '+')).map((entry) => decodeStreamEntry(entry)?.event.type);
    expect(events).toEqual(['competition_halted', 'team_halted', 'team_resumed', 'competition_resumed']);
  });

  it('still halts when no Redis answers, and says it was not announced', async () => {
    const halted = await qtc(['halt', '--reason', 'quiet'], { REDIS_URL: 'redis://127.0.0.1:1' });
    expect(halted.code, halted.stderr).toBe(0);
    expect(halted.stdout).toContain('(not announced on the activity stream: Redis did not answer)');
    expect((await qtc(['resume', '--json'], { REDIS_URL: 'redis://127.0.0.1:1' })).stdout).toBe('{"changed":true,"announced":false,"halt":null}\n');
  });

  it('lists recent minutes and the reconciliation report', async () => {
    expect((await qtc(['ticks'])).stdout).toBe('no minute has run yet\n');
    await pool.query(
      `INSERT INTO ticks (minute, status, shards, clock, source, bar_hash, bars, prices, teams, stage_ms, teams_run)
       VALUES ('2025-11-18T14:31:00Z', 'completed', 1, 'simulated', 'simulator', $1, '{}', '{}', '[{"teamId":"alpha","versionId":1}]', '{"bars": 2.5, "strategies": 40, "total": 61}', 1)`,
      ['e'.repeat(64)],
    );
    const json = JSON.parse((await qtc(['ticks', '--json', '--limit', '5'])).stdout) as { ticks: Array<Record<string, unknown>> };
    expect(json.ticks).toEqual([
      expect.objectContaining({ minute: '2025-11-18T14:31:00.000Z', status: 'completed', teams: 1, teams_run: 1, stage_ms: { bars: 2.5, strategies: 40, total: 61 } }),
    ]);
    const table = (await qtc(['ticks'])).stdout.split('\n');
    expect(table[0]).toMatch(/^minute \(UTC\)\s+status\s+try\s+teams\s+bars\s+fills\s+load\s+strategies\s+orders\s+submit\s+books\s+total\s+errors$/);
    expect(table[1]).toMatch(/^2025-11-18 14:31\s+completed\s+1\s+1\/1\s+2\.5\s+-\s+-\s+40\.0\s+-\s+-\s+-\s+61\.0\s+0$/);
    expect((await qtc(['ticks', '--limit', '0'])).stderr).toBe('qtc: --limit must be a whole number from 1 to 1000\n');

    expect(JSON.parse((await qtc(['reconciliation', '--audit', '--json'])).stdout)).toEqual({ report: null, unattributed: [], audit: [] });
    expect((await qtc(['reconciliation', '--audit'])).stdout).toBe('no reconciliation has run yet\n0 broker event(s) attributed to no team\nevery book matches its fills\n');
  });

  it("teams add refuses a repository the Git sync would refuse, with the sync check's own reason", async () => {
    const before = readFileSync(registryFile, 'utf8');
    const cases: Array<[string[], RegExp]> = [
      [['--repo', 'ext::sh -c touch% /tmp/pwned'], /the transport "ext::" is not allowed/],
      [['--repo', 'http://git.example.org/x.git'], /the protocol "http:\/\/" is not allowed/],
      [['--repo', '/srv/elsewhere/x.git'], /local repository \/srv\/elsewhere\/x\.git is not under an allowed root/],
      [['--repo', path.join(localRoot, 'missing.git')], /local repository .*missing\.git does not exist/],
      [['--repo', 'https://git.example.org/x.git', '--branch', 'a..b'], /"a\.\.b" is not a valid branch name/],
      [['--repo', 'https://git.example.org/x.git', '--path', '../up'], /path "\.\.\/up" must stay inside the repository/],
    ];
    for (const [options, reason] of cases) {
      const refused = await qtc(['teams', 'add', 'gamma', '--name', 'Gamma', ...options]);
      expect(refused.code, options.join(' ')).toBe(1);
      expect(refused.stderr, options.join(' ')).toMatch(/^qtc: .*team_registry\.yaml: the server's Git sync would refuse team gamma's repository, so the file was not changed: /);
      expect(refused.stderr, options.join(' ')).toMatch(reason);
    }
    // A symbolic link inside the allowed root that points outside it is refused too, as the sync does.
    symlinkSync(os.tmpdir(), path.join(localRoot, 'escape'));
    expect((await qtc(['teams', 'add', 'gamma', '--name', 'Gamma', '--repo', path.join(localRoot, 'escape')])).stderr).toMatch(/resolves to .*, outside the allowed roots/);
    expect(readFileSync(registryFile, 'utf8')).toBe(before);

    // An existing local repository under the allowed root (relative to the registry's folder) is accepted.
    mkdirSync(path.join(localRoot, 'gamma.git'));
    const added = await qtc(['teams', 'add', 'gamma', '--name', 'Gamma', '--repo', 'local-repos/gamma.git']);
    expect(added.code, added.stderr).toBe(0);
    expect(readFileSync(registryFile, 'utf8')).toBe(`${before}  - id: gamma\n    name: Gamma\n    repo: local-repos/gamma.git\n`);
  });

  it('teams remove takes the team out of the file; the next load marks it removed and keeps its data', async () => {
    const keys = new ApiKeyStore({ pool, graceMs: 0 });
    await syncTeams(pool, await loadRegistryFile(registryFile));
    const { key } = await keys.issue('gamma', 'test');
    const removed = await qtc(['teams', 'remove', 'gamma']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toMatch(/^removed team gamma from .*team_registry\.yaml\. The server marks it removed/);
    expect(readFileSync(registryFile, 'utf8')).toBe(REGISTRY);
    expect((await qtc(['teams', 'remove', 'gamma'])).stderr).toMatch(/no team "gamma" in the registry/);

    // What the server does on its next registry load: the row stays, marked removed; its key stops working.
    expect(await syncTeams(pool, await loadRegistryFile(registryFile))).toMatchObject({ removed: ['gamma'] });
    const row = await pool.query<{ removed: boolean }>(`SELECT removed_at IS NOT NULL AS removed FROM teams WHERE id = 'gamma'`);
    expect(row.rows).toEqual([{ removed: true }]);
    expect((await pool.query(`SELECT 1 FROM api_keys WHERE team_id = 'gamma'`)).rowCount).toBe(1);
    expect(await keys.verify(key)).toMatchObject({ ok: false, message: 'team "gamma" was removed from the competition' });
    const overview = JSON.parse((await qtc(['status', '--json'])).stdout) as { teams: Array<{ id: string; removed_at: string | null }> };
    expect(overview.teams.find((t) => t.id === 'gamma')?.removed_at).toEqual(expect.any(String));
  });
});

describe('qtc admin sync asks the running server', { timeout: 120_000 }, () => {
  let world: ApiWorld;
  let api: FullApiApp;
  const calls: Array<string | undefined> = [];

  beforeAll(async () => {
    world = await openApiWorld();
    await world.addTeam('alpha');
    api = await buildFullApiApp(world, {
      live: {
        syncNow: (teamId?: string): Promise<TeamSyncResult[]> => {
          calls.push(teamId);
          if (teamId === 'alpha')
            return Promise.resolve([{ teamId: 'alpha', outcome: 'failed', kind: 'unreachable', error: 'could not resolve host', sha: null, repeated: false }]);
          return Promise.resolve([{ teamId: 'alpha', outcome: 'unchanged', sha: '0123456789ab'.padEnd(40, '0') }]);
        },
      },
    });
    await api.listen();
  });
  afterAll(async () => {
    await api?.close();
    await world?.close();
  });

  function sync(args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['--no-node-snapshot', 'bin/qtc.js', 'admin', 'sync', ...args],
        { cwd: projectRoot, env: { ...process.env, QTC_ADMIN_KEYS: '', QTC_ADMIN_KEY: '', ...env } },
        (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  it('syncs every team or one through the admin API, and says why when it cannot', async () => {
    const all = await sync(['--server', api.url], { QTC_ADMIN_KEY: ADMIN_KEY });
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toBe('alpha: up to date (0123456789ab)\n');
    const one = await sync(['alpha', '--server', api.url, '--json'], { QTC_ADMIN_KEYS: ADMIN_KEY });
    expect(one.code).toBe(1);
    expect(JSON.parse(one.stdout)).toEqual({ results: [expect.objectContaining({ team_id: 'alpha', outcome: 'failed', kind: 'unreachable', error: 'could not resolve host' })] });
    expect(calls).toEqual([undefined, 'alpha']);
    const audit = await world.pool.query<{ subject: string | null }>(`SELECT subject FROM audit_events WHERE kind = 'git.sync-requested' ORDER BY id`);
    expect(audit.rows).toEqual([{ subject: null }, { subject: 'alpha' }]);

    expect((await sync(['--server', api.url], {})).stderr).toMatch(/^qtc: qtc admin sync asks the running server's Git sync, which needs an admin key: set QTC_ADMIN_KEY/);
    expect((await sync(['--server', api.url], { QTC_ADMIN_KEY: 'wrong-key-0123456789abcdef0123456789ab' })).stderr).toMatch(
      new RegExp(`^qtc: ${api.url.replace(/[.]/g, '\\.')} answered 401: `),
    );
    expect((await sync(['--server', 'http://127.0.0.1:1'], { QTC_ADMIN_KEY: ADMIN_KEY })).stderr).toMatch(
      /^qtc: no server answers at http:\/\/127\.0\.0\.1:1 \(.*\); start it \(npm start\) or name it with --server\n$/,
    );
  });
});
