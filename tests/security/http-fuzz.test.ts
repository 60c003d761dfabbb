// Property-based fuzz of every route in the OpenAPI document: random path segments, query values,
// JSON bodies, content types and credentials (none, garbage, a team key, the admin key). Whatever
// arrives, the answer is never a 500 and its status is one the document lists for that route (a
// documented 503, e.g. a feature that does not run in this process, is an answer, not a failure).
// Bounded in runs and time so CI stays fast on a busy machine.
import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, buildFullApiApp, type FullApiApp } from '../integration/api/app.ts';
import { MINUTE, openApiWorld, type ApiWorld } from '../integration/api/support.ts';

interface Operation {
  parameters?: Array<{ in: string; name: string }>;
  requestBody?: unknown;
  responses: Record<string, unknown>;
}
type Document = { paths: Record<string, Record<string, Operation>> };

/** Routes that keep their response open (streams, upgrades): their status is covered elsewhere. */
const STREAMING = /\/stream$|^\/ws\//;
const METHODS = ['get', 'post', 'put', 'delete', 'patch'];

let world: ApiWorld;
let api: FullApiApp;
let teamKey: string;
let document: Document;

beforeAll(async () => {
  world = await openApiWorld();
  await world.addTeam('alpha');
  await world.snapshot(MINUTE);
  // Generous limits: the fuzz is about what each route does with its input, not about 429s.
  api = await buildFullApiApp(world, { plugins: { authFailuresPerMinute: 1_000_000 }, live: { rateLimitPublicPerMinute: 1_000_000, rateLimitTeamPerMinute: 1_000_000 } });
  teamKey = (await api.keys.issue('alpha', 'fuzz')).key;
  document = (await api.app.inject({ url: '/docs/json' })).json<Document>();
});
afterAll(async () => {
  await api?.close();
  await world?.close();
});

const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('1e309', '-1', '0', 'NaN', 'Infinity', '9007199254740993', '', ' ', '%00', '\u0000', '\ud800', '..', '../..', 'alpha', '[]', '{}', 'a'.repeat(3000)),
  fc.integer().map(String),
  fc.double().map(String),
);
/** A path segment: any text percent-encoded byte by byte, or a raw malformed escape. */
const segment = fc.oneof(
  nasty.map((text) => [...Buffer.from(text, 'utf8')].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('')),
  fc.constantFrom('%', '%zz', '%ED%A0%80', '%00', '..%2F..', 'alpha'),
);
const body = fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 100 }), fc.constant('{"reason": 5}'), fc.constant('not json'));
const contentType = fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data', '');
const credential = fc.constantFrom<'none' | 'garbage' | 'team' | 'admin' | 'query'>('none', 'garbage', 'team', 'admin', 'query');

function authHeaders(kind: 'none' | 'garbage' | 'team' | 'admin' | 'query'): Record<string, string> {
  if (kind === 'garbage') return { authorization: 'Bearer qtc_team_alpha_garbage\u00ff' };
  if (kind === 'team') return { authorization: `Bearer ${teamKey}` };
  if (kind === 'admin') return { authorization: `Bearer ${ADMIN_KEY}` };
  return {};
}

describe('fuzzing every documented route', () => {
  it('never answers 500 and only answers documented statuses', async () => {
    const operations = Object.entries(document.paths).flatMap(([route, byMethod]) =>
      METHODS.filter((method) => byMethod[method] !== undefined && !STREAMING.test(route)).map((method) => ({ route, method, operation: byMethod[method]! })),
    );
    expect(operations.length).toBeGreaterThan(30);
    const failures: string[] = [];
    for (const { route, method, operation } of operations) {
      const queryNames = (operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name);
      await fc
        .assert(
          fc.asyncProperty(
            fc.array(segment, { minLength: 4, maxLength: 4 }),
            fc.dictionary(fc.constantFrom(...queryNames, 'key', 'extra'), nasty, { maxKeys: 4 }),
            body,
            contentType,
            credential,
            async (segments, query, payload, type, auth) => {
              let index = 0;
              const path = route.replace(/\{[^}]+\}/g, () => segments[index++ % segments.length] ?? '');
              const search = new URLSearchParams(Object.entries(query).map(([name, value]): [string, string] => [name, name === 'key' && auth === 'query' ? teamKey : value]));
              const request: InjectOptions = { method: method.toUpperCase(), url: `${path}?${search.toString()}`, headers: { ...authHeaders(auth) } };
              if (method !== 'get' && payload !== undefined) {
                request.payload = typeof payload === 'string' ? payload : JSON.stringify(payload);
                if (type !== '') request.headers = { ...request.headers, 'content-type': type };
              }
              const response = await api.app.inject(request);
              const documented = Object.keys(operation.responses);
              if (response.statusCode === 500 || !documented.includes(String(response.statusCode))) {
                failures.push(`${method.toUpperCase()} ${route} -> ${response.statusCode} (${path.slice(0, 120)}): ${response.body.slice(0, 200)}`);
                return false;
              }
              return true;
            },
          ),
          { numRuns: 25, interruptAfterTimeLimit: 15_000, seed: 20261203 },
        )
        .catch((error: unknown) => {
          // A failed property was recorded above with its request; anything else thrown is a failure too.
          if (!failures.some((line) => line.includes(` ${route} `))) failures.push(`${method.toUpperCase()} ${route}: ${String(error).slice(0, 300)}`);
        });
    }
    expect(failures.slice(0, 10)).toEqual([]);
  }, 300_000);
});
