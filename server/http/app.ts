import { HttpError } from './plugins/httpError.ts';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Probe } from '../health/probes.ts';
import type { Metrics } from '../observability/metrics.ts';
import { requestForLog } from './logRedaction.ts';
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
  /** Proxies whose X-Forwarded-For gives the client address (TRUST_PROXY); none by default. */
  trustProxy?: false | number | string[];
}

/** Names of the statuses Fastify itself answers (its error codes, FST_ERR_…, mean nothing to a client). */
const STATUS_NAMES: Record<number, string> = {
  400: 'bad_request',
  404: 'not_found',
  413: 'payload_too_large',
  414: 'uri_too_long',
  415: 'unsupported_media_type',
};

/** Errors leave as JSON `{error, message}` with the right status, whatever threw them. */
function installErrorHandling(app: FastifyInstance): void {
  // Once the plugins are loaded: unknown paths count against the address's rate limit too.
  void app.after(() => {
    app.setNotFoundHandler({ preHandler: app.rateLimit() }, (request, reply) => {
      void reply.code(404).send({ error: 'not_found', message: `no route for ${request.method} ${request.url.split('?')[0]}` });
    });
  });
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
    if (status >= 500 && !(error instanceof HttpError)) request.log.error({ err: error }, 'request failed');
    const name = error.code === undefined || error.code.startsWith('FST_') ? (STATUS_NAMES[status] ?? 'bad_request') : error.code.toLowerCase();
    // A deliberate answer (an HttpError, e.g. 503 "the Git sync does not run here") keeps its words;
    // anything else past 500 is a bug whose details stay in the log.
    const deliberate = error instanceof HttpError;
    void reply.code(status).send({
      error: status >= 500 && !deliberate ? 'internal_error' : name,
      message: status >= 500 && !deliberate ? 'internal server error' : error.message,
    });
  });
}

/** A hop count becomes the function Fastify's types accept: trust the nearest `hops` proxies. */
function trustProxyOption(trust: false | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  return typeof trust === 'number' ? (_address: string, hop: number) => hop < trust : trust;
}

function installRequestMetrics(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpRequestDuration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
}

export function buildHttpApp(deps: HttpAppDeps): FastifyInstance {
  const app = Fastify({
    // Request lines are logged with every key redacted, whatever serializer the given logger had.
    loggerInstance: deps.logger.child({}, { serializers: { req: requestForLog } }),
    return503OnClosing: true,
    // API bodies are small JSON documents; the Git webhook sets its own limit.
    bodyLimit: 64 * 1024,
    trustProxy: trustProxyOption(deps.trustProxy ?? false),
  });
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
