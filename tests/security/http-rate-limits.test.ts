import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signWebhookBody } from '../../loaders/git/webhookSignature.ts';
import { ADMIN_KEY, buildFullApiApp, type FullApiApp, type FullApiOptions } from '../integration/api/app.ts';
import { openApiWorld, type ApiWorld } from '../integration/api/support.ts';

/**
 * What a client without a key can make the server do: guess keys (failed authentications are counted
 * per address in Redis and blocked with back-off), hit routes that had no limit, send large unsigned
 * webhook bodies, and replay a signed webhook.
 */

let world: ApiWorld;
let api: FullApiApp;
let alphaKey: string;
const apps: FullApiApp[] = [];
const SECRET = 'whsec_test_0123456789abcdef0123456789abcdef';
const synced: string[] = [];

const prefix = () => `${world.keys.activityStream}:http:`;
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const badKey = () => `qtc_team_${randomBytes(6).toString('hex')}_${'A'.repeat(43)}`;

async function build(options: FullApiOptions = {}): Promise<FullApiApp> {
  const app = await buildFullApiApp(world, {
    hooks: { secretFor: (team) => Promise.resolve(team === 'alpha' ? SECRET : null), requestSync: (team) => synced.push(team) > 0 },
    ...options,
  });
  apps.push(app);
  return app;
}

beforeAll(async () => {
  world = await openApiWorld();
  await world.addTeam('alpha');
  api = await build();
  alphaKey = (await api.keys.issue('alpha', 'test')).key;
});
afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
  await world.close();
});

describe('failed authentications', () => {
  it('after 20 failures a minute the address gets 429 with Retry-After, before any key is looked up; others are unaffected', async () => {
    const from = '10.1.1.1';
    const statuses: number[] = [];
    for (let i = 0; i < 20; i += 1) {
      const url = i % 2 === 0 ? '/api/v1/team/alpha/history' : `/line/${badKey()}`;
      statuses.push((await api.app.inject({ url, headers: bearer(badKey()), remoteAddress: from })).statusCode);
    }
    expect(statuses).toEqual(Array(20).fill(401));

    const lookups = api.lookups();
    const blocked = await api.app.inject({ url: '/api/v1/team/alpha/history', headers: bearer(alphaKey), remoteAddress: from });
    expect(blocked.statusCode).toBe(429);
    expect(blocked.json()).toEqual({ error: 'too_many_requests', message: expect.stringContaining('failed authentications') as unknown });
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(blocked.headers['retry-after'])).toBeLessThanOrEqual(60);
    expect((await api.app.inject({ url: `/line/${alphaKey}`, remoteAddress: from })).statusCode).toBe(429);
    expect((await api.app.inject({ url: '/api/v1/admin/teams', headers: bearer(ADMIN_KEY), remoteAddress: from })).statusCode).toBe(429);
    expect(api.lookups()).toBe(lookups);

    // Public routes stay open to the address, and other addresses keep working.
    expect((await api.app.inject({ url: '/activity/recent', remoteAddress: from })).statusCode).toBe(200);
    expect((await api.app.inject({ url: '/api/v1/team/alpha/history', headers: bearer(alphaKey), remoteAddress: '10.1.1.2' })).statusCode).toBe(200);
  });

  it('counts across replicas, and a second block of the same address lasts twice as long', async () => {
    const from = '10.1.1.3';
    const other = await build();
    for (let i = 0; i < 20; i += 1) {
      const replica = i % 2 === 0 ? api : other;
      expect((await replica.app.inject({ url: '/api/v1/team/alpha', headers: bearer(badKey()), remoteAddress: from })).statusCode).toBe(401);
    }
    const first = await other.app.inject({ url: '/api/v1/team/alpha', headers: bearer(alphaKey), remoteAddress: from });
    expect(first.statusCode).toBe(429);
    expect(Number(first.headers['retry-after'])).toBeLessThanOrEqual(60);

    // The first block is over (as if a minute had passed); 20 more failures block for two minutes.
    await world.redis.del(`${prefix()}auth-blocked:${from}`);
    expect((await api.app.inject({ url: '/api/v1/team/alpha', headers: bearer(alphaKey), remoteAddress: from })).statusCode).toBe(200);
    for (let i = 0; i < 20; i += 1) await api.app.inject({ url: '/api/v1/team/alpha', headers: bearer(badKey()), remoteAddress: from });
    const second = await api.app.inject({ url: '/api/v1/team/alpha', headers: bearer(alphaKey), remoteAddress: from });
    expect(second.statusCode).toBe(429);
    expect(Number(second.headers['retry-after'])).toBeGreaterThan(60);
    expect(Number(second.headers['retry-after'])).toBeLessThanOrEqual(120);
  });
});

describe('every route has a limit', () => {
  it('GET /api/v1/team/{id} is limited per key', async () => {
    const limited = await build({ teamRateLimitPerMinute: 3, plugins: { rateLimitPrefix: `${prefix()}team-route:` } });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await limited.app.inject({ url: '/api/v1/team/alpha', headers: bearer(alphaKey), remoteAddress: `10.2.0.${i}` })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('routes without a limit of their own (admin, health, pages, webhook, unknown paths) share one per address', async () => {
    const limited = await build({ plugins: { rateLimitPrefix: `${prefix()}default-route:`, defaultRateLimitPerMinute: 4 } });
    const urls = ['/api/v1/admin/teams', '/api/v1/admin/registry', '/health', '/', '/api/v1/admin/ticks'];
    const statuses = [];
    for (const url of urls) statuses.push((await limited.app.inject({ url, headers: bearer(ADMIN_KEY), remoteAddress: '10.3.0.1' })).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const webhook = await limited.app.inject({
      method: 'POST',
      url: '/api/v1/hooks/git/alpha',
      payload: '{}',
      headers: { 'content-type': 'application/json' },
      remoteAddress: '10.3.0.1',
    });
    expect(webhook.statusCode).toBe(429);
    expect((await limited.app.inject({ url: '/no/such/path', remoteAddress: '10.3.0.1' })).statusCode).toBe(429);
    expect((await limited.app.inject({ url: '/no/such/path', remoteAddress: '10.3.0.2' })).statusCode).toBe(404);
  });
});

describe('git webhook', () => {
  const post = (app: FullApiApp, body: Buffer, headers: Record<string, string>, remoteAddress = '10.4.0.1') =>
    app.app.inject({ method: 'POST', url: '/api/v1/hooks/git/alpha', payload: body, headers: { 'content-type': 'application/json', ...headers }, remoteAddress });
  const push = (n: number) => Buffer.from(JSON.stringify({ ref: 'refs/heads/main', after: String(n).padStart(40, '0') }));

  it('refuses bodies over 64 KiB with 413 before reading or verifying them', async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 'a');
    const huge = await post(api, big, { 'x-hub-signature-256': signWebhookBody('guess', big), 'x-github-delivery': 'd-big' }, '10.4.0.9');
    expect(huge.statusCode).toBe(413);
    expect(huge.json()).toMatchObject({ error: 'payload_too_large' });
    const justOver = Buffer.alloc(64 * 1024 + 1, 'a');
    expect((await post(api, justOver, { 'x-github-delivery': 'd-over' }, '10.4.0.9')).statusCode).toBe(413);
  });

  it('accepts a delivery once: the same id or the same signed body again is 409, on any replica', async () => {
    const other = await build();
    const first = push(1);
    const signature = signWebhookBody(SECRET, first);
    const delivery = randomBytes(8).toString('hex');
    expect((await post(api, first, { 'x-hub-signature-256': signature, 'x-github-delivery': delivery })).statusCode).toBe(202);

    const replayed = await post(other, first, { 'x-hub-signature-256': signature, 'x-github-delivery': delivery });
    expect(replayed.statusCode).toBe(409);
    expect(replayed.json()).toMatchObject({ error: 'delivery_replayed' });
    // The delivery header is not signed: a new id on the old body is still a replay.
    expect((await post(api, first, { 'x-hub-signature-256': signature, 'x-github-delivery': `${delivery}-2` })).statusCode).toBe(409);
    const second = push(2);
    expect((await post(api, second, { 'x-hub-signature-256': signWebhookBody(SECRET, second), 'x-github-delivery': delivery })).statusCode).toBe(409);

    const third = push(4);
    expect((await post(other, third, { 'x-hub-signature-256': signWebhookBody(SECRET, third), 'x-gitea-delivery': randomBytes(8).toString('hex') })).statusCode).toBe(202);
    expect(synced).toEqual(['alpha', 'alpha']);
  });

  it('requires a delivery id', async () => {
    const body = push(3);
    const response = await post(api, body, { 'x-hub-signature-256': signWebhookBody(SECRET, body) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: 'delivery_id_required' });
  });
});
