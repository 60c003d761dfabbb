import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Probe } from '../health/probes.ts';
import type { Metrics } from '../observability/metrics.ts';
import { registerHttpPlugins, type HttpPluginOptions } from './plugins/index.ts';
import { registerHealthRoute } from './routes/health.ts';
import { registerMetricsRoute } from './routes/metrics.ts';
import { registerPageRoutes } from './routes/pages.ts';

export interface HttpAppDeps {
  logger: FastifyBaseLogger;
  metrics: Metrics;
  probes: Record<string, Probe>;
  probeTimeoutMs?: number;
  /** OpenAPI, WebSocket and rate-limit plugins (rate limits counted in Redis when given). */
  plugins?: HttpPluginOptions;
}

/** Errors leave as JSON `{error, message}` with the right status, whatever threw them. */
function installErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` });
  });
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    void reply.code(status).send({
      error: status >= 500 ? 'internal_error' : (error.code ?? 'bad_request').toLowerCase(),
      message: status >= 500 ? 'internal server error' : error.message,
    });
  });
}

function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequestDuration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
}

export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger, return503OnClosing: true });
  registerHttpPlugins(app, deps.plugins ?? {});
  installErrorHandling(app);
  installRequestMetrics(app, deps.metrics);
  // In a plugin, so the plugins above (their route hooks) are loaded first.
  void app.register((scope, _options, done) => {
    registerHealthRoute(scope, deps.probes, deps.probeTimeoutMs ?? 2_000);
    registerMetricsRoute(scope, deps.metrics.registry);
    registerPageRoutes(scope);
    done();
  });
  return app;
}
