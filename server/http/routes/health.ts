import type { FastifyInstance } from 'fastify';
import { healthReport } from '../../health/report.ts';
import { runProbe, type Probe } from '../../health/probes.ts';

const probeResultSchema = {
  type: 'object',
  required: ['ok', 'latencyMs'],
  properties: { ok: { type: 'boolean' }, latencyMs: { type: 'number' }, error: { type: 'string' } },
} as const;

const healthSchema = {
  type: 'object',
  required: ['status', 'message', 'checks'],
  properties: {
    status: { type: 'string', enum: ['ok', 'unavailable'] },
    message: { type: 'string' },
    checks: { type: 'object', additionalProperties: probeResultSchema },
  },
} as const;

export function registerHealthRoute(app: FastifyInstance, probes: Record<string, Probe>, timeoutMs: number): void {
  app.get('/health', { schema: { description: 'Live checks of every dependency', response: { 200: healthSchema, 503: healthSchema } } }, async (_request, reply) => {
    const names = Object.keys(probes);
    const results = await Promise.all(names.map((name) => runProbe(probes[name]!, timeoutMs)));
    const report = healthReport(Object.fromEntries(names.map((name, i) => [name, results[i]!])));
    return reply.code(report.status === 'ok' ? 200 : 503).send(report);
  });
}
