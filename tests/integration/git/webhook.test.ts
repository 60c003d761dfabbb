import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { getActiveVersion } from '../../../loaders/activation/index.ts';
import { issueWebhookSecret, readWebhookSecret, signWebhookBody, startGitSync, WEBHOOK_SECRET_PREFIX, type GitSync } from '../../../loaders/git/index.ts';
import type { Registry } from '../../../registry/schema.ts';
import { registerGitHookRoutes } from '../../../server/http/routes/hooks.ts';
import { createTestDatabase } from '../../support/databases.ts';
import { silentLog } from '../../support/silentLog.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { createTeamRepo, GOOD_STRATEGY, insertTeams, makeGitFixture, registryFor, type GitFixture, type TeamRepo } from './gitFixtures.ts';

/** POST /api/v1/hooks/git/:team with real secrets in Postgres and a real sync behind it. */

let database: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: PgPool;
let temp: ReturnType<typeof makeTempDir>;
let fixture: GitFixture;
let repo: TeamRepo;
let registry: Registry;
let sync: GitSync;
let app: FastifyInstance;
let secret: string;
let clock = 0;
const requested: string[] = [];

/** A push payload; each accepted delivery must be new (a replayed signature is refused), so each gets its own. */
let pushes = 0;
function pushPayload(): Buffer {
  pushes += 1;
  return Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: pushes.toString(16).padStart(40, 'x'), repository: { full_name: 'team/strategy' } }));
}
const payload = pushPayload();

/** Posts with a fresh delivery id, as GitHub sends one per delivery. */
function post(team: string, body: Buffer, headers: Record<string, string>) {
  pushes += 1;
  return app.inject({
    method: 'POST',
    url: `/api/v1/hooks/git/${team}`,
    payload: body,
    headers: { 'content-type': 'application/json', 'x-github-delivery': `delivery-${String(pushes)}`, ...headers },
  });
}

beforeAll(async () => {
  database = await createTestDatabase();
  pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
  await migrateUp(pool);
  temp = makeTempDir('qtc-git-hook-');
  fixture = makeGitFixture(temp.dir);
  repo = createTeamRepo(fixture, 'hooked-team');
  registry = registryFor([
    { id: 'hooked-team', name: 'Hooked', repo: repo.remote },
    { id: 'sleepy-team', name: 'Sleepy', repo: repo.remote, enabled: false },
    { id: 'no-secret', name: 'No secret', repo: repo.remote },
  ]);
  await insertTeams(pool, registry);
  secret = await issueWebhookSecret(pool, 'hooked-team', 'admin:test');
  await issueWebhookSecret(pool, 'sleepy-team', 'admin:test');
  sync = startGitSync({
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
  app = Fastify({ logger: false });
  registerGitHookRoutes(app, {
    secretFor: (teamId) => readWebhookSecret(pool, teamId),
    requestSync: (teamId) => {
      requested.push(teamId);
      return sync.requestSync(teamId);
    },
    rateLimit: { max: 3, windowMs: 60_000 },
    now: () => clock,
  });
  // A JSON route beside it: the hook's raw-body parser must not leak out of its scope.
  app.post('/echo', (request, reply) => reply.send(request.body));
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await sync.stop();
  await pool.end();
  await database.drop();
  temp.remove();
});

describe('git webhook', () => {
  it('issues secrets that are long, prefixed and replaced on reissue', async () => {
    expect(secret.startsWith(WEBHOOK_SECRET_PREFIX)).toBe(true);
    expect(secret.length).toBeGreaterThanOrEqual(WEBHOOK_SECRET_PREFIX.length + 43);
    expect(await readWebhookSecret(pool, 'hooked-team')).toBe(secret);
    expect(await readWebhookSecret(pool, 'no-secret')).toBeNull();
  });

  it('answers 401 without details for a missing, wrong or foreign signature and for teams without a secret', async () => {
    const good = signWebhookBody(secret, payload);
    const attempts = [
      post('hooked-team', payload, {}),
      post('hooked-team', payload, { 'x-hub-signature-256': signWebhookBody('wrong-secret', payload) }),
      post('hooked-team', payload, { 'x-hub-signature-256': good.slice(0, -2) }),
      post('hooked-team', payload, { 'x-hub-signature-256': good.replace('sha256=', 'sha1=') }),
      post('hooked-team', Buffer.concat([payload, Buffer.from(' ')]), { 'x-hub-signature-256': good }),
      post('no-secret', payload, { 'x-hub-signature-256': signWebhookBody('', payload) }),
      post('nobody', payload, { 'x-hub-signature-256': good }),
      post('NOT_A_SLUG', payload, { 'x-hub-signature-256': good }),
    ];
    for (const response of await Promise.all(attempts)) {
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: 'unauthorized', message: 'webhook signature verification failed' });
    }
    expect(requested).toEqual([]);
  });

  it('accepts a correctly signed push with 202 and activates the pushed commit', async () => {
    const sha = repo.push({ 'strategy.ts': GOOD_STRATEGY }, 'via webhook');
    const body = pushPayload();
    const response = await post('hooked-team', body, { 'x-hub-signature-256': signWebhookBody(secret, body), 'x-github-event': 'push' });
    expect(response.statusCode).toBe(202);
    expect(response.json()).toEqual({ accepted: true, team: 'hooked-team' });
    await vi.waitFor(async () => expect((await getActiveVersion(pool, 'hooked-team'))?.commitSha).toBe(sha), { timeout: 20_000, interval: 50 });
  });

  it('verifies the raw bytes whatever the content type, and leaves other routes parsing JSON', async () => {
    const form = Buffer.from('payload=%7B%22ref%22%3A%22refs%2Fheads%2Fmain%22%7D');
    const response = await app.inject({
      method: 'POST',
      url: '/api/v1/hooks/git/hooked-team',
      payload: form,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-hub-signature-256': signWebhookBody(secret, form), 'x-github-delivery': 'form-delivery' },
    });
    expect(response.statusCode).toBe(202);
    const echo = await app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    expect(echo.json()).toEqual({ a: 1 });
  });

  it('answers 409 for a disabled team and 429 over the rate limit', async () => {
    const sleepySecret = await readWebhookSecret(pool, 'sleepy-team');
    const disabled = await post('sleepy-team', payload, { 'x-hub-signature-256': signWebhookBody(sleepySecret!, payload) });
    expect(disabled.statusCode).toBe(409);
    // Two accepted calls above; the limit is three a minute.
    const signed = (body: Buffer) => ({ 'x-hub-signature-256': signWebhookBody(secret, body) });
    const third = pushPayload();
    expect((await post('hooked-team', third, signed(third))).statusCode).toBe(202);
    const fourth = pushPayload();
    const limited = await post('hooked-team', fourth, signed(fourth));
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('60');
    clock += 60_000;
    const fifth = pushPayload();
    expect((await post('hooked-team', fifth, signed(fifth))).statusCode).toBe(202);
  });
});
