import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { recordAuditEvent } from '../data/postgres/audit.ts';
import { loadRegistryFile } from '../registry/load.ts';
import type { Registry } from '../registry/schema.ts';
import type { Config } from './config/config.ts';
import { postgresProbe, redisProbe } from './health/probes.ts';
import { buildHttpApp } from './http/app.ts';
import { Lifecycle } from './lifecycle.ts';
import { createMetrics } from './observability/metrics.ts';
import { startServices, type Services } from './services.ts';

/** The running competition server: what `qtc all` starts and stops. */
export interface CompetitionServer {
  app: FastifyInstance;
  services: Services;
  registry: Registry;
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:8000 */
  address: string;
  close(): Promise<void>;
}

/** The composition root: builds the whole object graph from the configuration. */
export async function startCompetitionServer(config: Config, logger: Logger): Promise<CompetitionServer> {
  // A broken registry stops the start before any service is touched.
  const registry = await loadRegistryFile(config.registryFile);
  logger.info({ file: config.registryFile, competition: registry.competition.name, teams: registry.teams.length }, 'team registry loaded');
  const lifecycle = new Lifecycle();
  try {
    const services = await startServices(config, logger, lifecycle);
    const metrics = createMetrics();
    const app = buildHttpApp({
      logger,
      metrics,
      probes: { postgres: postgresProbe(services.pg), redis: redisProbe(services.redis) },
    });
    lifecycle.onClose('http server', () => app.close());
    let address: string;
    try {
      address = await app.listen({ port: config.port, host: config.host });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new Error(`port ${config.port} on ${config.host} is already in use (set PORT to another port)`, { cause: error });
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new Error(`cannot listen on HOST=${config.host}: not an address of this machine`, { cause: error });
      throw error;
    }
    await recordAuditEvent(services.pg, { actor: 'system', kind: 'server.started', details: { address, pid: process.pid } });
    return {
      app,
      services,
      registry,
      address,
      close: async () => {
        const failures = await lifecycle.closeAll();
        for (const failure of failures) logger.error({ err: failure.error, resource: failure.name }, 'error while shutting down');
      },
    };
  } catch (error) {
    // Leave nothing running behind a failed start (embedded servers included).
    await lifecycle.closeAll();
    throw error;
  }
}
