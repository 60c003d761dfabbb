import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { recordAuditEvent } from '../data/postgres/audit.ts';
import { readWebhookSecret, startGitSync, type GitSync } from '../loaders/git/index.ts';
import { ApiKeyStore } from '../registry/keys/store.ts';
import { createLiveRegistry } from '../registry/live.ts';
import { loadRegistryFile } from '../registry/load.ts';
import type { RegistryStore } from '../registry/store.ts';
import { startRegistryWatcher } from '../registry/watch.ts';
import { AdminKeys } from './auth/adminKeys.ts';
import { createAuthenticator } from './auth/authenticate.ts';
import type { Config } from './config/config.ts';
import { postgresProbe, redisProbe } from './health/probes.ts';
import { buildHttpApp } from './http/app.ts';
import { registerAdminRoutes } from './http/routes/admin.ts';
import { registerGitHookRoutes } from './http/routes/hooks.ts';
import { registerLiveApi } from './http/routes/liveApi.ts';
import { registerTeamRoutes } from './http/routes/team.ts';
import { ensureDemoRepository } from './demo/demoRepository.ts';
import { Lifecycle } from './lifecycle.ts';
import { createMetrics } from './observability/metrics.ts';
import { startServices, type Services } from './services.ts';

/** The running competition server: what `qtc all` starts and stops. */
export interface CompetitionServer {
  app: FastifyInstance;
  services: Services;
  /** The team registry in force: the last good version of the file, reloaded on change. */
  registry: RegistryStore;
  gitSync: GitSync;
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:8000 */
  address: string;
  close(): Promise<void>;
}

/** The composition root: builds the whole object graph from the configuration. */
export async function startCompetitionServer(config: Config, logger: Logger): Promise<CompetitionServer> {
  // A broken registry stops the start before any service is touched.
  await loadRegistryFile(config.registryFile);
  const lifecycle = new Lifecycle();
  try {
    const services = await startServices(config, logger, lifecycle);
    const registryLog = logger.child({ component: 'registry' });
    const registry = createLiveRegistry({ file: config.registryFile, pool: services.pg, log: registryLog });
    const loaded = await registry.load(); // also syncs the teams into Postgres
    logger.info({ file: config.registryFile, competition: loaded.competition.name, teams: loaded.teams.length }, 'team registry loaded');
    lifecycle.onClose('registry watcher', startRegistryWatcher(registry, { log: registryLog }));
    const keys = new ApiKeyStore({ pool: services.pg, graceMs: config.keyRotationGraceMs });
    const auth = createAuthenticator({ verifyTeamKey: (key) => keys.verify(key), adminKeys: new AdminKeys(config.adminKeys) });
    if (config.adminKeys.length === 0) logger.warn('QTC_ADMIN_KEYS is not set: the admin API refuses every request (npx qtc admin … still works)');

    // The demo teams of the starter registry follow a local repository made from examples/ on first run.
    const demo = await ensureDemoRepository({
      examplesDir: path.join(config.projectRoot, 'examples', 'strategies'),
      localReposRoot: path.join(config.dataDir, 'local-repos'),
    });
    if (demo.created) logger.info({ repository: demo.path }, 'created the demo strategies repository from examples/strategies');

    const gitSync = startGitSync({
      pg: services.pg,
      logger,
      dataDir: config.dataDir,
      registry: () => registry.current(),
      pollIntervalMs: config.gitPollIntervalMs,
      allowedLocalRoots: config.gitAllowedLocalPaths,
      localPathBase: path.dirname(config.registryFile),
    });
    lifecycle.onClose('git sync', () => gitSync.stop());
    registry.subscribe((next, previous) => {
      for (const team of next.teams) {
        const before = previous?.teams.find((t) => t.id === team.id);
        const moved = !before || !before.enabled || before.repo !== team.repo || before.branch !== team.branch || before.path !== team.path || before.entry !== team.entry;
        if (team.enabled && moved) gitSync.requestSync(team.id);
      }
    });
    const metrics = createMetrics();
    const app = buildHttpApp({
      logger,
      metrics,
      probes: { postgres: postgresProbe(services.pg), redis: redisProbe(services.redis) },
      plugins: { rateLimitRedis: services.redis },
    });
    // Inside a plugin, so the OpenAPI document and the rate limits (loaded first) see these routes.
    void app.register((scope, _options, done) => {
      registerAdminRoutes(scope, { auth, registry, keys, pool: services.pg });
      registerTeamRoutes(scope, { auth, registry });
      done();
    });
    registerGitHookRoutes(app, { secretFor: (team) => readWebhookSecret(services.pg, team), requestSync: (team) => gitSync.requestSync(team) });
    registerLiveApi(app, {
      pg: services.pg,
      redis: services.redis,
      // One connection for the activity reader, one for the leaderboard subscriber.
      openRedis: () => services.redis.duplicate(),
      auth,
      syncNow: (teamId) => gitSync.syncNow(teamId),
      rateLimitPublicPerMinute: config.rateLimitPublicPerMinute,
      rateLimitTeamPerMinute: config.rateLimitTeamPerMinute,
      sseMaxClients: config.sseMaxClients,
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
      gitSync,
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
