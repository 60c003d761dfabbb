/**
 * Statuses that the shared machinery can answer on any route, added to each route's response schema
 * so the OpenAPI document (/docs/json) lists every status a route can answer. Routes declare their
 * own (401, 403, 404, 409, 422, …); these come from elsewhere:
 * - 400: invalid input, on routes that take a query, path parameters, headers or a body;
 * - 413 / 415: a body over the limit / of a content type the route does not read, on routes that take a body;
 * - 414: a URL longer than MAX_URL_LENGTH (checked in `installUrlLengthLimit`);
 * - 429: the rate limit, or too many failed authentications from the address;
 * - 503: the server is shutting down (and, on some routes, their own reasons).
 */
import type { FastifyInstance, RouteOptions } from 'fastify';
import { errorSchema } from '../routes/adminSchemas.ts';
import { HttpError } from './httpError.ts';

/** Far above any URL of the API (a team key in the path or query is 65 characters). */
export const MAX_URL_LENGTH = 2_048;

const error = (description: string) => ({ ...errorSchema, description });

export function documentCommonStatuses(app: FastifyInstance): void {
  app.addHook('onRoute', function (this: FastifyInstance, route: RouteOptions) {
    const schema = route.schema ?? {};
    const common: Record<number, unknown> = {
      414: error(`URL longer than ${MAX_URL_LENGTH} characters`),
      429: error('Too many requests (Retry-After says when to retry), or too many failed authentications from this address'),
      503: error('The server is shutting down'),
    };
    if (schema.querystring || schema.params || schema.headers || schema.body) common[400] = error('Invalid input; the message names the field');
    if ([route.method].flat().some((method) => method !== 'GET' && method !== 'HEAD')) {
      common[413] = error('Body larger than the route accepts');
      // Scopes with Fastify's default parsers (JSON, text) refuse other types; the Git webhook's
      // scope replaces them with one that reads every type, and never answers 415.
      if (this.hasContentTypeParser('application/json')) common[415] = error('Body of a content type the route does not read (send application/json)');
    }
    route.schema = { ...schema, response: { ...common, ...(schema.response as Record<number, unknown> | undefined) } };
  });
}

export function installUrlLengthLimit(app: FastifyInstance): void {
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.url.length > MAX_URL_LENGTH ? new HttpError(414, 'uri_too_long', `the URL is longer than ${MAX_URL_LENGTH} characters`) : undefined);
  });
}
