import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  const schema = { summary: 'Prometheus metrics of this process', response: { 200: { type: 'string', description: 'Prometheus text format' } } };
  app.get('/metrics', { schema }, async (_request, reply) => {
    return reply.type(registry.contentType).send(await registry.metrics());
  });
}
