import type { FastifyInstance } from 'fastify';

/** The OpenAPI 3.1 document generated from every route's schema: `/docs/json` (and `/docs`, the same document). */
export function registerDocsRoutes(app: FastifyInstance): void {
  const document = () => Promise.resolve(app.swagger());
  const options = { schema: { hide: true } };
  app.get('/docs/json', options, document);
  app.get('/docs', options, document);
}
