import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordVersion } from '../../../loaders/activation/versionStore.ts';
import type { TeamSyncResult } from '../../../loaders/git/syncTeam.ts';
import { DEFAULT_HALT_REASON } from '../../../server/http/routes/adminOps.ts';
import { ADMIN_KEY, buildFullApiApp, type FullApiApp } from './app.ts';
import { openApiWorld, type ApiWorld } from './support.ts';

/**
 * What the admin console relies on beyond the older admin routes: halts without a body, the one-query
 * team status, audited sync and reload requests, and the interactive API docs served from this server.
 */

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const admin = bearer(ADMIN_KEY);
const MINUTE = Date.UTC(2025, 10, 18, 14, 31);

let world: ApiWorld;
let api: FullApiApp;
const syncCalls: Array<string | undefined> = [];

beforeAll(async () => {
  world = await openApiWorld();
  await world.addTeam('alpha', 'Alpha');
  await world.addTeam('beta', 'Beta');
  api = await buildFullApiApp(world, {
    teams: ['alpha', 'beta'],
    live: {
      syncNow: (teamId?: string): Promise<TeamSyncResult[]> => {
        syncCalls.push(teamId);
        return Promise.resolve([{ teamId: teamId ?? 'alpha', outcome: 'unchanged', sha: 'a'.repeat(40) }]);
      },
    },
  });
});

afterAll(async () => {
  await api?.close();
  await world?.close();
});

async function auditKinds(kind: string): Promise<Array<{ actor: string; subject: string | null; details: Record<string, unknown> }>> {
  const { rows } = await world.pool.query<{ actor: string; subject: string | null; details: Record<string, unknown> }>(
    'SELECT actor, subject, details FROM audit_events WHERE kind = $1 ORDER BY id',
    [kind],
  );
  return rows;
}

describe('halts without a body', () => {
  it('POST /api/v1/admin/halt with no body halts with the default reason; resume undoes it', async () => {
    const halted = await api.app.inject({ method: 'POST', url: '/api/v1/admin/halt', headers: admin });
    expect(halted.statusCode, halted.body).toBe(200);
    expect(halted.json()).toMatchObject({ changed: true, halt: { reason: DEFAULT_HALT_REASON, halted_by: expect.stringMatching(/^admin:[0-9a-f]{8}$/) as unknown } });
    const again = await api.app.inject({ method: 'POST', url: '/api/v1/admin/halt', headers: admin, payload: { reason: 'second try' } });
    expect(again.json()).toMatchObject({ changed: false, halt: { reason: DEFAULT_HALT_REASON } });
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/resume', headers: admin })).json()).toMatchObject({ changed: true, halt: null });
    expect(await auditKinds('competition.halted')).toEqual([
      expect.objectContaining({ actor: expect.stringMatching(/^admin:/) as unknown, details: { reason: DEFAULT_HALT_REASON } }),
    ]);
  });

  it('a team halt takes no body too, and a given reason is still checked', async () => {
    const halted = await api.app.inject({ method: 'POST', url: '/api/v1/admin/teams/beta/halt', headers: admin });
    expect(halted.json()).toMatchObject({ changed: true, halt: { reason: DEFAULT_HALT_REASON } });
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/teams/beta/resume', headers: admin })).json()).toMatchObject({ changed: true });
    const empty = await api.app.inject({ method: 'POST', url: '/api/v1/admin/halt', headers: admin, payload: { reason: '' } });
    expect(empty.statusCode).toBe(400);
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/halt', headers: admin, payload: { reason: 5 } })).statusCode).toBe(400);
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/halt' })).statusCode).toBe(401);
  });
});

describe('GET /api/v1/admin/status', () => {
  it('gives every team its halt, versions, last error and quarantine in one answer', async () => {
    const compiled = { code: '/* bundle */', sourceMap: '{}', filename: 'strategy.bundle.js' };
    const source = { repo: 'https://git.example.org/alpha.git', branch: 'main', path: '.', entry: null };
    const commit = (sha: string, message: string) => ({ sha: sha.repeat(40), authorName: 'Ada', authorEmail: 'ada@example.org', committedAt: new Date(MINUTE), message });
    await recordVersion(world.pool, { teamId: 'alpha', commit: commit('a', 'first\n\nbody'), source, timings: {}, outcome: { ok: true, compiled } });
    await recordVersion(world.pool, {
      teamId: 'alpha',
      commit: commit('b', 'uses eval'),
      source,
      timings: {},
      outcome: { ok: false, stage: 'check', findings: [{ file: 'strategy.ts', line: 3, column: 7, rule: 'banned-name', message: 'eval' }], error: null },
    });
    // Two minutes: an error, then a quarantine (the latest run says so).
    for (const [offset, error] of [
      [0, { kind: 'runtime', message: 'TypeError: boom' }],
      [60_000, { kind: 'quarantined', message: 'crashed its sandbox 3 times in an hour' }],
    ] as const) {
      const minute = new Date(MINUTE + offset);
      await world.pool.query(
        `INSERT INTO ticks (minute, status, shards, clock, source, bar_hash, bars, prices, teams, stage_ms)
         VALUES ($1, 'completed', 1, 'simulated', 'simulator', $2, '{}', '{}', '[]', '{"bars": 1, "strategies": 5, "total": 9}')`,
        [minute, 'c'.repeat(64)],
      );
      await world.pool.query(`INSERT INTO tick_team_runs (minute, team_id, shard, worker, error) VALUES ($1, 'alpha', 0, 'w1', $2)`, [minute, JSON.stringify(error)]);
    }
    await api.app.inject({ method: 'POST', url: '/api/v1/admin/teams/alpha/halt', headers: admin, payload: { reason: 'looking into it' } });
    await api.keys.issue('alpha', 'test');

    const response = await api.app.inject({ url: '/api/v1/admin/status', headers: admin });
    expect(response.statusCode, response.body).toBe(200);
    const body = response.json<{ competition: { halt: unknown }; teams: Array<Record<string, unknown>> }>();
    expect(body.competition).toEqual({ halt: null });
    expect(body.teams.map((team) => team.id)).toEqual(['alpha', 'beta']);
    expect(body.teams[0]).toMatchObject({
      id: 'alpha',
      name: 'Team alpha',
      enabled: true,
      removed_at: null,
      working_keys: 1,
      halt: { reason: 'looking into it' },
      active_version: { commit: 'a'.repeat(40), message: 'first', reason: 'push' },
      latest_version: { commit: 'b'.repeat(40), status: 'rejected', rejected_at_stage: 'check', findings: 1 },
      git_sync: null,
      last_run_at: new Date(MINUTE + 60_000).toISOString(),
      last_error: { minute: new Date(MINUTE + 60_000).toISOString(), kind: 'quarantined' },
      quarantine: { quarantined: true, reason: 'crashed its sandbox 3 times in an hour' },
    });
    expect(body.teams[1]).toMatchObject({ id: 'beta', halt: null, active_version: null, latest_version: null, last_error: null, quarantine: { quarantined: false, reason: null } });
    expect((await api.app.inject({ url: '/api/v1/admin/status', headers: bearer((await api.keys.issue('beta', 'test')).key) })).statusCode).toBe(403);
  });
});

describe('audited requests', () => {
  it('sync now works without a body and records who asked', async () => {
    const all = await api.app.inject({ method: 'POST', url: '/api/v1/admin/sync', headers: admin });
    expect(all.statusCode, all.body).toBe(200);
    const one = await api.app.inject({ method: 'POST', url: '/api/v1/admin/sync', headers: admin, payload: { team: 'beta' } });
    expect(one.json()).toEqual({ results: [{ team_id: 'beta', teamId: 'beta', outcome: 'unchanged', sha: 'a'.repeat(40) }] });
    expect(syncCalls).toEqual([undefined, 'beta']);
    const audits = await auditKinds('git.sync-requested');
    expect(audits).toEqual([
      { actor: expect.stringMatching(/^admin:/) as unknown, subject: null, details: { outcomes: [{ team: 'alpha', outcome: 'unchanged', sha: 'a'.repeat(40) }] } },
      { actor: expect.stringMatching(/^admin:/) as unknown, subject: 'beta', details: { outcomes: [{ team: 'beta', outcome: 'unchanged', sha: 'a'.repeat(40) }] } },
    ]);
  });

  it('a registry reload records the admin who asked for it', async () => {
    const reload = await api.app.inject({ method: 'POST', url: '/api/v1/admin/registry/reload', headers: admin });
    expect(reload.statusCode, reload.body).toBe(200);
    expect(await auditKinds('registry.reload-requested')).toEqual([
      expect.objectContaining({ actor: expect.stringMatching(/^admin:/) as unknown, details: { outcome: reload.json<{ outcome: string }>().outcome } }),
    ]);
  });
});

describe('API docs', () => {
  it('serves Swagger UI at /docs from this server, with a policy that allows nothing from elsewhere', async () => {
    const page = await api.app.inject({ url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain('<div id="swagger-ui"></div>');
    const sources = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1] ?? '');
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) {
      expect(source, source).toMatch(/^\/docs\/static\//);
      const asset = await api.app.inject({ url: source });
      expect(asset.statusCode, source).toBe(200);
    }
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain("script-src 'self';");
    expect(policy).not.toMatch(/https?:/);
    const initializer = await api.app.inject({ url: '/docs/static/swagger-initializer.js' });
    expect(initializer.body).toContain('validatorUrl: null');
    const document = (await api.app.inject({ url: '/docs/json' })).json<{ openapi: string; paths: Record<string, unknown> }>();
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toContain('/api/v1/admin/status');
    expect(Object.keys(document.paths).some((path) => path.startsWith('/docs'))).toBe(false);
  });
});
