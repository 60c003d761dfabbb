import type { FastifyInstance } from 'fastify';
import { loadPage } from '../../../web/pages.ts';

export function registerPageRoutes(app: FastifyInstance): void {
  const status = loadPage('status');
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(status));
}
