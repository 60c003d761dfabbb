// The type import brings @fastify/swagger's `hide` into route schemas: pages stay out of /docs.
import type {} from '@fastify/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ASSET_NAME_PATTERN, loadWebFiles, matchesEtag, PAGES, type WebFile } from '../../../web/pages.ts';

/**
 * The pages people open: `/` the live leaderboard, `/team` the team dashboard, `/status` the server
 * status, `/admin` the admin console (the page is public; everything it shows comes from admin routes
 * with the key typed into it); their scripts and styles under `/assets/`. Browsers revalidate every time (`no-cache` with a
 * strong ETag, 304 when unchanged), so a deploy is seen at once and an unchanged file costs a 304.
 */
export function registerPageRoutes(app: FastifyInstance): void {
  const files = loadWebFiles();

  const send = (file: WebFile, request: FastifyRequest, reply: FastifyReply) => {
    void reply.header('cache-control', 'no-cache').header('etag', file.etag).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    if (file.contentSecurityPolicy !== null) void reply.header('content-security-policy', file.contentSecurityPolicy);
    if (matchesEtag(request.headers['if-none-match'], file.etag)) return reply.code(304).send();
    return reply.type(file.contentType).send(file.body);
  };

  for (const urlPath of Object.keys(PAGES)) {
    const file = files.get(urlPath);
    if (!file) throw new Error(`web page for ${urlPath} was not loaded`);
    app.get(urlPath, { schema: { hide: true } }, async (request, reply) => send(file, request, reply));
  }

  app.get<{ Params: { name: string } }>(
    '/assets/:name',
    { schema: { hide: true, params: { type: 'object', properties: { name: { type: 'string', pattern: ASSET_NAME_PATTERN } }, required: ['name'] } } },
    async (request, reply) => {
      const file = files.get(`/assets/${request.params.name}`);
      if (!file) return reply.code(404).send({ error: 'not_found', message: `no asset ${request.params.name}` });
      return send(file, request, reply);
    },
  );
}
