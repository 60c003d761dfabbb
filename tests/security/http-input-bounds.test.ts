import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, buildFullApiApp, type FullApiApp } from '../integration/api/app.ts';
import { MINUTE, openApiWorld, type ApiWorld } from '../integration/api/support.ts';

/**
 * Out-of-range input gets a 400 JSON answer, never a 5xx: numbers like 1e309 (which Ajv's coercion
 * turned into Infinity, past every minimum and maximum), and JSON values of the wrong type (which it
 * coerced). The OpenAPI document lists every status each route can answer.
 */

interface Operation {
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: unknown;
  security?: unknown[];
  responses: Record<string, unknown>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

let world: ApiWorld;
let api: FullApiApp;
let alphaKey: string;
let document: Document;

beforeAll(async () => {
  world = await openApiWorld();
  await world.addTeam('alpha');
  await world.snapshot(MINUTE);
  api = await buildFullApiApp(world);
  await api.listen();
  alphaKey = (await api.keys.issue('alpha', 'test')).key;
  document = (await api.app.inject({ url: '/docs/json' })).json<Document>();
});
afterAll(async () => {
  await api.close();
  await world.close();
});

const BAD_NUMBERS = 'limit=1e309&offset=1e309&days=1e309&before=1e309';

describe('numbers out of range', () => {
  it('every GET route of the OpenAPI document answers limit/offset/days/before=1e309 without a 5xx, with 400 where it reads them', async () => {
    const gets = Object.entries(document.paths).filter(([, operations]) => operations.get !== undefined);
    expect(gets.length).toBeGreaterThan(20);
    const answers: Record<string, number> = {};
    for (const [route, operations] of gets) {
      const path = route.replace('{teamKey}', alphaKey).replace('{id}', 'alpha').replace('{keyId}', alphaKey.slice(9, 21));
      const response = await fetch(`${api.url}${path}?${BAD_NUMBERS}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      // The activity stream would stay open: its status is all that is needed.
      const body = response.headers.get('content-type')?.startsWith('text/event-stream') ? '' : await response.text();
      await response.body?.cancel().catch(() => undefined);
      answers[route] = response.status;
      const reads = (operations.get!.parameters ?? []).some((parameter) => parameter.in === 'query' && ['limit', 'offset', 'days', 'before'].includes(parameter.name));
      if (reads) {
        expect(response.status, route).toBe(400);
        expect(JSON.parse(body), route).toEqual({ error: 'bad_request', message: expect.any(String) as unknown });
      }
      expect(Object.keys(operations.get!.responses), `${route} answers ${response.status}: documented?`).toContain(String(response.status));
    }
    expect(Object.entries(answers).filter(([, status]) => status >= 500)).toEqual([]);
  });

  it('negative infinity and Infinity spelled out are refused too', async () => {
    for (const query of ['limit=-1e309', 'days=Infinity', 'offset=1e400']) {
      const response = await api.app.inject({
        url: `/api/v1/team/alpha/${query.startsWith('days') ? 'history' : 'orders'}?${query}`,
        headers: { authorization: `Bearer ${ADMIN_KEY}` },
      });
      expect(response.statusCode, query).toBe(400);
    }
    expect((await api.app.inject({ url: '/api/v1/leaderboard/history?days=1e309' })).statusCode).toBe(400);
    expect((await api.app.inject({ url: '/api/v1/leaderboard/history?days=1e1' })).statusCode).toBe(200);
  });
});

describe('JSON bodies are not coerced', () => {
  it.each([5, true, ['stop'], null, { text: 'stop' }])('a halt reason of %j is refused with 400', async (reason) => {
    for (const url of ['/api/v1/admin/halt', '/api/v1/admin/teams/alpha/halt']) {
      const response = await api.app.inject({ method: 'POST', url, payload: { reason }, headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toEqual({ error: 'bad_request', message: 'body/reason must be string' });
    }
    expect((await api.app.inject({ url: '/api/v1/admin/halts', headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json()).toEqual({ competition: null, teams: {} });
  });
});

describe('text Postgres cannot store', () => {
  const admin = { authorization: `Bearer ${ADMIN_KEY}` };

  // A NUL fails a `text` column and a surrogate escape a `jsonb` one (the audit row): both were 500s.
  it.each([
    ['a NUL', 'stop\u0000now'],
    ['an unpaired surrogate', 'stop \ud800 now'],
  ])('a halt reason holding %s is refused with 400 naming the field, and nothing is halted', async (_what, reason) => {
    for (const url of ['/api/v1/admin/halt', '/api/v1/admin/teams/alpha/halt']) {
      const response = await api.app.inject({ method: 'POST', url, payload: { reason }, headers: admin });
      expect(response.statusCode, url).toBe(400);
      expect(response.json()).toEqual({ error: 'bad_request', message: 'body.reason must not contain a NUL character or an unpaired surrogate' });
    }
    expect((await api.app.inject({ url: '/api/v1/admin/halts', headers: admin })).json()).toEqual({ competition: null, teams: {} });
  });

  it('the other bodies, queries and path parameters are held to it too', async () => {
    const requests = [
      { method: 'POST' as const, url: '/api/v1/admin/sync', payload: { team: 'al\u0000pha' } },
      { method: 'POST' as const, url: '/api/v1/admin/teams/alpha/rollback', payload: { sha: '\ud800' } },
      { method: 'GET' as const, url: '/api/v1/admin/keys?team=al%00pha' },
      { method: 'GET' as const, url: '/api/v1/admin/teams/al%00pha/versions' },
      { method: 'POST' as const, url: '/api/v1/admin/teams/al%00pha/keys' },
    ];
    for (const request of requests) {
      const response = await api.app.inject({ ...request, headers: admin });
      expect(response.statusCode, request.url).toBe(400);
      expect(response.json<{ message: string }>().message, request.url).toMatch(/^(body|querystring|params)\.\w+ must not contain a NUL character or an unpaired surrogate$/);
    }
  });

  it('a halt reason with a surrogate pair (an emoji) is text like any other', async () => {
    const response = await api.app.inject({ method: 'POST', url: '/api/v1/admin/teams/alpha/halt', payload: { reason: 'market on fire 🔥' }, headers: admin });
    expect(response.statusCode).toBe(200);
    expect((await api.app.inject({ url: '/api/v1/admin/halts', headers: admin })).json<{ teams: Record<string, { reason: string }> }>().teams.alpha?.reason).toBe(
      'market on fire 🔥',
    );
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/teams/alpha/resume', headers: admin })).statusCode).toBe(200);
  });
});

describe('OpenAPI document', () => {
  it('lists for every operation the statuses the shared machinery can answer', () => {
    for (const [route, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const statuses = Object.keys(operation.responses);
        const where = `${method.toUpperCase()} ${route}`;
        expect(statuses, where).toEqual(expect.arrayContaining(['414', '429', '503']));
        if ((operation.parameters ?? []).length > 0 || operation.requestBody) expect(statuses, where).toContain('400');
        if (operation.security) expect(statuses, where).toEqual(expect.arrayContaining(['401', '403']));
        if (method !== 'get') expect(statuses, where).toContain('413');
        if (method !== 'get' && route !== '/api/v1/hooks/git/{team}') expect(statuses, where).toContain('415');
      }
    }
    expect(Object.keys(document.paths['/api/v1/hooks/git/{team}']!.post!.responses).sort()).toEqual(['202', '400', '401', '409', '413', '414', '429', '503']);
  });
});
