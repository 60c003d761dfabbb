import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestLogSerializer } from '../../../server/auth/redactLog.ts';
import { ADMIN_KEY, bearer, GRACE_MS, startHarness, type Harness } from './support.ts';

interface IssuedBody {
  key: string;
  info: { keyId: string; teamId: string; status: string };
}

describe('team API keys and the routes they open (real Postgres)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  async function issue(team: string): Promise<IssuedBody> {
    const response = await h.app.inject({ method: 'POST', url: `/api/v1/admin/teams/${team}/keys`, headers: bearer(ADMIN_KEY) });
    expect(response.statusCode, response.body).toBe(201);
    expect(response.headers['cache-control']).toBe('no-store');
    return response.json<IssuedBody>();
  }

  function getTeam(team: string, headers: Record<string, string> = {}, query = '') {
    return h.app.inject({ method: 'GET', url: `/api/v1/team/${team}${query}`, headers });
  }

  it('issues a key with the recognisable format, shown once and stored only as a hash', async () => {
    const issued = await issue('alpha');
    expect(issued.key).toMatch(/^qtc_team_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}$/);
    expect(issued.info).toMatchObject({ teamId: 'alpha', status: 'active' });
    const { rows } = await h.pool.query<Record<string, unknown>>('SELECT * FROM api_keys WHERE key_id = $1', [issued.info.keyId]);
    const secret = issued.key.split('_').at(-1)!;
    expect(JSON.stringify(rows[0])).not.toContain(secret);
    expect((rows[0]!.secret_hash as Buffer).length).toBe(32);
    const listed = await h.app.inject({ method: 'GET', url: '/api/v1/admin/keys?team=alpha', headers: bearer(ADMIN_KEY) });
    expect(listed.body).not.toContain(secret);
    expect(listed.json<{ keys: Array<{ keyId: string }> }>().keys.map((k) => k.keyId)).toContain(issued.info.keyId);
    const audit = await h.pool.query('SELECT actor, subject FROM audit_events WHERE kind = $1', ['api_key.issued']);
    expect(audit.rows).toContainEqual({ actor: expect.stringMatching(/^admin:[0-9a-f]{8}$/) as unknown, subject: 'alpha' });
  });

  it('a key opens exactly its own team: 200 own, 403 other, 401 none or bad', async () => {
    const { key } = await issue('alpha');
    const own = await getTeam('alpha', bearer(key));
    expect(own.statusCode, own.body).toBe(200);
    expect(own.json()).toMatchObject({
      team: { id: 'alpha', enabled: true, limits: { cpuMs: 200, memoryMb: 64 }, risk: { maxOrdersPerMinute: 10 } },
      competition: { name: 'Test Cup', universe: ['SPY', 'QQQ'] },
    });
    expect((await getTeam('alpha', {}, `?key=${key}`)).statusCode).toBe(200);

    const other = await getTeam('beta', bearer(key));
    expect(other.statusCode).toBe(403);
    expect(other.json()).toEqual({ error: 'forbidden', message: expect.stringContaining('team "alpha"') as unknown });

    const none = await getTeam('alpha');
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Bearer');
    expect(none.json<{ error: string }>().error).toBe('unauthorized');
    expect((await getTeam('alpha', { authorization: `Basic ${key}` })).statusCode).toBe(401);
  });

  it('does not tell a wrong secret from an unknown key id', async () => {
    const { key, info } = await issue('alpha');
    const wrongSecret = `qtc_team_${info.keyId}_${'A'.repeat(43)}`;
    const unknownId = `qtc_team_${'Z'.repeat(12)}_${key.split('_').at(-1)!}`;
    const answers = await Promise.all([wrongSecret, unknownId, 'not-a-key', `${key}x`].map((candidate) => getTeam('alpha', bearer(candidate))));
    for (const answer of answers) {
      expect(answer.statusCode).toBe(401);
      expect(answer.json()).toEqual({ error: 'unauthorized', message: 'invalid API key' });
    }
  });

  it('admin routes need an admin key: 401 without one, 403 with a team key', async () => {
    const { key } = await issue('beta');
    expect((await h.app.inject({ method: 'GET', url: '/api/v1/admin/teams' })).statusCode).toBe(401);
    const withTeamKey = await h.app.inject({ method: 'GET', url: '/api/v1/admin/teams', headers: bearer(key) });
    expect(withTeamKey.statusCode).toBe(403);
    expect(withTeamKey.json<{ error: string }>().error).toBe('forbidden');
    const issueWithTeamKey = await h.app.inject({ method: 'POST', url: '/api/v1/admin/teams/beta/keys', headers: bearer(key) });
    expect(issueWithTeamKey.statusCode).toBe(403);
    const wrongAdmin = await h.app.inject({ method: 'GET', url: '/api/v1/admin/teams', headers: bearer(`${ADMIN_KEY}x`) });
    expect(wrongAdmin.statusCode).toBe(401);
    const ok = await h.app.inject({ method: 'GET', url: '/api/v1/admin/teams', headers: bearer(ADMIN_KEY) });
    expect(ok.statusCode).toBe(200);
    expect(ok.json<{ teams: Array<{ id: string; inRegistry: boolean; workingKeys: number }> }>().teams.map((t) => t.id)).toEqual(['alpha', 'beta']);
    // An admin key opens every team.
    expect((await getTeam('beta', bearer(ADMIN_KEY))).statusCode).toBe(200);
  });

  it('refuses keys for a team that is not in the registry', async () => {
    const response = await h.app.inject({ method: 'POST', url: '/api/v1/admin/teams/gamma/keys', headers: bearer(ADMIN_KEY) });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: 'team_not_found', message: expect.stringContaining('gamma') as unknown });
  });

  it('rotation: the old key works through the grace period, then stops; the new one works', async () => {
    const old = await issue('alpha');
    const rotated = await h.app.inject({ method: 'POST', url: `/api/v1/admin/keys/${old.info.keyId}/rotate`, headers: bearer(ADMIN_KEY) });
    expect(rotated.statusCode, rotated.body).toBe(201);
    const body = rotated.json<IssuedBody & { previous: { keyId: string; status: string; expiresAt: string; replacedBy: string } }>();
    expect(body.previous).toMatchObject({ keyId: old.info.keyId, status: 'grace', replacedBy: body.info.keyId });
    expect(new Date(body.previous.expiresAt).getTime()).toBe(h.clock.now.getTime() + GRACE_MS);

    expect((await getTeam('alpha', bearer(old.key))).statusCode).toBe(200);
    expect((await getTeam('alpha', bearer(body.key))).statusCode).toBe(200);
    h.clock.advance(GRACE_MS - 1);
    expect((await getTeam('alpha', bearer(old.key))).statusCode).toBe(200);
    h.clock.advance(1);
    const expired = await getTeam('alpha', bearer(old.key));
    expect(expired.statusCode).toBe(401);
    expect(expired.json<{ message: string }>().message).toMatch(/rotated; its grace period ended/);
    expect((await getTeam('alpha', bearer(body.key))).statusCode).toBe(200);

    const again = await h.app.inject({ method: 'POST', url: `/api/v1/admin/keys/${old.info.keyId}/rotate`, headers: bearer(ADMIN_KEY) });
    expect(again.statusCode).toBe(409);
    const audit = await h.pool.query<{ details: { keyId: string; newKeyId: string } }>('SELECT details FROM audit_events WHERE kind = $1', ['api_key.rotated']);
    expect(audit.rows.map((row) => row.details)).toContainEqual(expect.objectContaining({ keyId: old.info.keyId, newKeyId: body.info.keyId }));
  });

  it('revocation stops a key at once, also during a grace period', async () => {
    const { key, info } = await issue('beta');
    expect((await getTeam('beta', bearer(key))).statusCode).toBe(200);
    const revoked = await h.app.inject({ method: 'DELETE', url: `/api/v1/admin/keys/${info.keyId}`, headers: bearer(ADMIN_KEY) });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json<{ key: { status: string } }>().key.status).toBe('revoked');
    const refused = await getTeam('beta', bearer(key));
    expect(refused.statusCode).toBe(401);
    expect(refused.json<{ message: string }>().message).toMatch(/revoked/);
    // Idempotent, and audited once.
    expect((await h.app.inject({ method: 'DELETE', url: `/api/v1/admin/keys/${info.keyId}`, headers: bearer(ADMIN_KEY) })).statusCode).toBe(200);
    const audit = await h.pool.query("SELECT 1 FROM audit_events WHERE kind = 'api_key.revoked' AND details->>'keyId' = $1", [info.keyId]);
    expect(audit.rowCount).toBe(1);

    const inGrace = await issue('beta');
    await h.keys.rotate(inGrace.info.keyId, 'test');
    await h.keys.revoke(inGrace.info.keyId, 'test');
    expect((await getTeam('beta', bearer(inGrace.key))).statusCode).toBe(401);
    expect((await h.app.inject({ method: 'DELETE', url: '/api/v1/admin/keys/ZZZZZZZZZZZZ', headers: bearer(ADMIN_KEY) })).statusCode).toBe(404);
  });

  it('records when a key was last used, at most once per minute', async () => {
    const { key, info } = await issue('alpha');
    expect((await h.keys.get(info.keyId))?.lastUsedAt).toBeNull();
    await getTeam('alpha', bearer(key));
    expect((await h.keys.get(info.keyId))?.lastUsedAt).toEqual(h.clock.now);
    const first = h.clock.now;
    h.clock.advance(30_000);
    await getTeam('alpha', bearer(key));
    expect((await h.keys.get(info.keyId))?.lastUsedAt).toEqual(first);
    h.clock.advance(30_000);
    await getTeam('alpha', bearer(key));
    expect((await h.keys.get(info.keyId))?.lastUsedAt).toEqual(h.clock.now);
  });

  it('a removed team loses access and cannot get new keys; its rows stay', async () => {
    const { key } = await issue('beta');
    h.writeRegistry((await import('./support.ts')).registryText([{ id: 'alpha' }]));
    expect((await h.registry.reload('manual')).result).toBe('loaded');
    const refused = await getTeam('beta', bearer(key));
    expect(refused.statusCode).toBe(401);
    expect(refused.json<{ message: string }>().message).toMatch(/removed/);
    const issueRemoved = await h.app.inject({ method: 'POST', url: '/api/v1/admin/teams/beta/keys', headers: bearer(ADMIN_KEY) });
    expect(issueRemoved.json()).toMatchObject({ error: 'team_removed' });
    const { rows } = await h.pool.query<{ id: string; removed: boolean }>('SELECT id, removed_at IS NOT NULL AS removed FROM teams ORDER BY id');
    expect(rows).toEqual([
      { id: 'alpha', removed: false },
      { id: 'beta', removed: true },
    ]);
    h.writeRegistry((await import('./support.ts')).registryText([{ id: 'alpha' }, { id: 'beta' }]));
    expect((await h.registry.reload('manual')).result).toBe('loaded');
    expect((await getTeam('beta', bearer(key))).statusCode).toBe(200);
  });

  it('issues a webhook secret for the Git hook of a team', async () => {
    const response = await h.app.inject({ method: 'POST', url: '/api/v1/admin/teams/alpha/webhook-secret', headers: bearer(ADMIN_KEY) });
    expect(response.statusCode).toBe(201);
    const { secret } = response.json<{ secret: string }>();
    expect(secret.length).toBeGreaterThanOrEqual(32);
    const { readWebhookSecret } = await import('../../../loaders/git/webhookSecrets.ts');
    expect(await readWebhookSecret(h.pool, 'alpha')).toBe(secret);
    expect(await readWebhookSecret(h.pool, 'beta')).toBeNull();
    const unknown = await h.app.inject({ method: 'POST', url: '/api/v1/admin/teams/nobody/webhook-secret', headers: bearer(ADMIN_KEY) });
    expect(unknown.statusCode).toBe(404);
  });
});

describe('request logs', () => {
  it('never contain a key given as ?key=', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const logger = pino({ level: 'info', serializers: { req: requestLogSerializer } }, sink);
    const h = await startHarness({ logger });
    try {
      const issued = await h.keys.issue('alpha', 'test');
      const secret = issued.key.split('_').at(-1)!;
      const response = await h.app.inject({ method: 'GET', url: `/api/v1/team/alpha?key=${issued.key}` });
      expect(response.statusCode).toBe(200);
      await h.app.inject({ method: 'GET', url: `/api/v1/admin/registry?key=${ADMIN_KEY}&x=1` });
      const log = lines.join('');
      expect(log).toContain('/api/v1/team/alpha?key=[redacted]');
      expect(log).toContain('/api/v1/admin/registry?key=[redacted]&x=1');
      expect(log).not.toContain(secret);
      expect(log).not.toContain(ADMIN_KEY);
    } finally {
      await h.close();
    }
  });
});
