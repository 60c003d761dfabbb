import { readFileSync } from 'node:fs';
import path from 'node:path';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

/**
 * The API documentation: `/docs` is Swagger UI (interactive: "Try it out" with a key under
 * "Authorize"), every script, style and image of it served from node_modules by this server (no CDN);
 * `/docs/json` the OpenAPI 3.1 document generated from every route's schema, `/docs/yaml` the same as YAML.
 */
export const DOCS_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Swagger UI's components set style attributes on the elements they render.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export function registerDocsRoutes(app: FastifyInstance): void {
  void app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: DOCS_POLICY,
    theme: { title: 'QTC — HTTP API' },
    // The site's icon in the top bar (inlined as a data: URL), leading back to the leaderboard.
    logo: { type: 'image/svg+xml', content: readFileSync(path.join(import.meta.dirname, '../../../web/assets/icon.svg')), href: '/', target: '_self' },
    uiConfig: { deepLinking: true, docExpansion: 'list', defaultModelsExpandDepth: 0, displayRequestDuration: true },
    // No validatorUrl: the initializer then sets it to null, so no outside validator is ever asked.
  });
}
