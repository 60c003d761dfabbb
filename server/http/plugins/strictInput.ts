/**
 * Fastify validates with Ajv, which coerces before it checks, and two coercions bend the schemas:
 * - the query value "1e309" becomes Infinity, which passes `type: integer` and skips `minimum` /
 *   `maximum` (Ajv compares finite numbers only), and so reached Postgres and Redis as a 500;
 * - a JSON body's `{"reason": 5}` became the string "5" where the schema asks for a string.
 * And no JSON schema can say "text Postgres can store": a halt reason holding a NUL (`"\u0000"`) or
 * an unpaired surrogate (`"\ud800"`, which `jsonb` refuses) failed its INSERT as a 500.
 * This hook runs before validation and refuses all three with 400, for every route, on the parts
 * (query, path parameters, body) the route's own schema reads.
 */
import type { FastifyInstance } from 'fastify';
import { UNSTORABLE_TEXT, unstorablePath } from '../../../sandbox/safeText.ts';
import { HttpError } from './httpError.ts';

type PropertySchemas = Record<string, { type?: string | string[] } | undefined>;

function propertiesOf(schema: unknown): PropertySchemas {
  const properties = (schema as { properties?: unknown } | undefined)?.properties;
  return properties !== null && typeof properties === 'object' ? (properties as PropertySchemas) : {};
}

const typesOf = (type: string | string[] | undefined): string[] => (type === undefined ? [] : Array.isArray(type) ? type : [type]);

/** A query or path value that a numeric property would coerce to ±Infinity. */
function nonFinite(part: string, schema: unknown, values: unknown): string | null {
  if (values === null || typeof values !== 'object') return null;
  for (const [name, property] of Object.entries(propertiesOf(schema))) {
    const value = (values as Record<string, unknown>)[name];
    const numeric = typesOf(property?.type).some((type) => type === 'integer' || type === 'number');
    if (numeric && typeof value === 'string' && Math.abs(Number(value)) === Infinity) return `${part}/${name} must be a finite number`;
  }
  return null;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/** A JSON body property whose type differs from the schema's (which Ajv would otherwise coerce). */
function mistyped(schema: unknown, body: unknown): string | null {
  if (body === null || typeof body !== 'object' || Array.isArray(body) || Buffer.isBuffer(body)) return null;
  for (const [name, property] of Object.entries(propertiesOf(schema))) {
    const value = (body as Record<string, unknown>)[name];
    const allowed = typesOf(property?.type);
    if (value === undefined || allowed.length === 0) continue;
    const actual = jsonType(value);
    const fits = allowed.includes(actual) || (actual === 'number' && allowed.includes('integer'));
    if (!fits) return `body/${name} must be ${allowed.join(' or ')}`;
  }
  return null;
}

/** A string (or key) in a part of the request that Postgres could not store, however the route uses it. */
function unstorable(part: string, schema: unknown, value: unknown): string | null {
  if (schema === undefined || Buffer.isBuffer(value)) return null;
  const path = unstorablePath(value, part);
  return path === null ? null : `${path} ${UNSTORABLE_TEXT}`;
}

export function installStrictInput(app: FastifyInstance): void {
  app.addHook('preValidation', (request, _reply, done) => {
    const schema = request.routeOptions.schema;
    const problem = schema
      ? (nonFinite('querystring', schema.querystring, request.query) ??
        nonFinite('params', schema.params, request.params) ??
        mistyped(schema.body, request.body) ??
        unstorable('querystring', schema.querystring, request.query) ??
        unstorable('params', schema.params, request.params) ??
        unstorable('body', schema.body, request.body))
      : null;
    done(problem === null ? undefined : new HttpError(400, 'bad_request', problem));
  });
}
