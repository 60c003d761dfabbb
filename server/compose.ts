import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { recordAuditEvent } from '../data/postgres/audit.ts';
import { readWebhookSecret, startGitSync, type GitSync } from '../loaders/git/index.ts';
import { ApiKeyStore } from '../registry/keys/store.ts';
import { loadRegistryFile } from '../registry/load.ts';
import { openRegistry } from '../registry/role.ts';
import type { Registry } from '../registry/schema.ts';
import type { RegistryStore } from '../registry/store.ts';
import { AdminKeys } from './auth/adminKeys.ts';
import { createAuthenticator, type Authenticator } from './auth/authenticate.ts';
import type { Config } from './config/config.ts';
import { ensureDemoRepository } from './demo/demoRepository.ts';
import { postgresProbe, redisProbe } from './health/probes.ts';
import { buildHttpApp } from './http/app.ts';
import { registerAdminRoutes } from './http/routes/admin.ts';
import { registerGitHookRoutes } from './http/routes/hooks.ts';
import { registerLiveApi } from './http/routes/liveApi.ts';
import { registerTeamRoutes } from './http/routes/team.ts';
import { Lifecycle } from './lifecycle.ts';
import { createMetrics } from './observability/metrics.ts';
import { relayedGitSync, serveGitSyncRequests, type GitSyncPort } from './control/gitSyncRelay.ts';
import { localRegistryFile, relayedRegistryFile, serveRegistryReloads, type RegistryFilePort } from './control/registryRelay.ts';
import { registerReconciliationMetrics } from './reconciliation/metrics.ts';
import { startScheduler } from './scheduler/scheduler.ts';
import { startServices, type EmbeddedRole, type Services } from './services.ts';
import { registerAlpacaBudgetMetrics } from './trading/brokers/alpaca/budgetMetrics.ts';
import { publishMarketWithRegistry } from './trading/venue/marketInForce.ts';
import { openVenue } from './trading/venue/openVenue.ts';
import { startWorker } from './worker/worker.ts';

/**
 * What one process runs. `qtc all` runs everything; `qtc api` only the HTTP API (any number of
 * replicas; live events reach each through Redis); `qtc worker` is a separate entry (worker/standalone.ts).
 */
export interface Roles {
  /** The HTTP API and pages. */
  http: boolean;
  /** One per competition: Git sync of the teams' repositories, and the demo repository. */
  control: boolean;
  /** One per competition: the minute scheduler, plus a tick worker in this process. */
  ticks: boolean;
  /**
   * Without DATABASE_URL / REDIS_URL: `run` starts (or adopts) the embedded Postgres and Redis and
   * stops them on exit; `join` only waits for the ones `qtc all` runs (see startServices).
   */
  embedded: EmbeddedRole;
  /**
   * Where the registry comes from. `file`: this process is the control role: it takes the control
   * leader lock, reads team_registry.yaml and publishes it to Postgres (one per competition).
   * `postgres`: it reads the version in force from Postgres and follows it, never opening the file.
   * Default: `file` for the process that runs the embedded services (`qtc all`), else `postgres`.
   */
  registry?: 'file' | 'postgres';
}

export const ALL_ROLES: Roles = { http: true, control: true, ticks: true, embedded: 'run' };
export const API_ROLES: Roles = { http: true, control: false, ticks: false, embedded: 'join' };
/** `qtc control`: the registry file, the Git sync and (started by the caller) the minute scheduler; no HTTP, no worker. */
export const CONTROL_ROLES: Roles = { http: false, control: true, ticks: false, embedded: 'run', registry: 'file' };

/** The running competition server. */
export interface CompetitionServer {
  services: Services;
  /** The team registry in force: the last good version of the file, reloaded on change. */
  registry: RegistryStore;
  app: FastifyInstance | undefined;
  gitSync: GitSync | undefined;
  /** The address the HTTP server listens on, e.g. http://127.0.0.1:8000 */
  address: string | undefined;
  close(): Promise<void>;
}

/**
 * A simulated market has no trading hours of its own: with no clock chosen, it runs on the demo
 * clock (one market minute every second) instead of idling outside New York's session.
 */
export function effectiveTickConfig(config: Config, registry: Registry): Config {
  if (config.tick.clock !== 'live' || registry.competition.marketData.source !== 'simulator') return config;
  return { ...config, tick: { ...config.tick, clock: 'simulated', simMinuteMs: DEMO_MINUTE_MS } };
}
export const DEMO_MINUTE_MS = 1_000;

function describeListenError(error: unknown, config: Config): Error {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return new Error(`port ${config.port} on ${config.host} is already in use (set PORT to another port)`, { cause: error });
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return new Error(`cannot listen on HOST=${config.host}: not an address of this machine`, { cause: error });
  return error as Error;
}

async function startControl(config: Config, logger: Logger, services: Services, registry: RegistryStore, lifecycle: Lifecycle): Promise<GitSync> {
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
  // Webhooks and "sync now" taken by any API replica arrive here over Redis.
  const stopServing = await serveGitSyncRequests({ gitSync, redis: services.redis, subscriber: services.redis.duplicate(), log: logger.child({ component: 'git-sync-relay' }) });
  lifecycle.onClose('git sync relay', stopServing);
  registry.subscribe((next, previous) => {
    for (const team of next.teams) {
      const before = previous?.teams.find((t) => t.id === team.id);
      const moved = !before || !before.enabled || before.repo !== team.repo || before.branch !== team.branch || before.path !== team.path || before.entry !== team.entry;
      if (team.enabled && moved) gitSync.requestSync(team.id);
    }
  });
  return gitSync;
}

async function startTicks(config: Config, logger: Logger, services: Services, registry: RegistryStore, lifecycle: Lifecycle): Promise<void> {
  const tickConfig = effectiveTickConfig(config, registry.current());
  if (tickConfig !== config) logger.info({ minuteMs: DEMO_MINUTE_MS }, 'simulated market: one market minute every second (set SIM_MINUTE_MS to change it)');
  const venue = await openVenue(config, registry.current(), logger, services.redis, services.pg);
  lifecycle.onClose('venue', () => venue.close());
  const worker = await startWorker({
    config: tickConfig,
    pg: services.pg,
    redis: services.redis,
    registry,
    logger,
    market: venue.market,
    ...(venue.broker ? { broker: venue.broker } : {}),
  });
  lifecycle.onClose('tick worker', () => worker.stop());
  // Closed in reverse order: the scheduler stops adding minutes before the worker stops.
  const scheduler = await startScheduler({ config: tickConfig, pg: services.pg, redis: services.redis, registry, logger, ...(venue.calendar ? { calendar: venue.calendar } : {}) });
  lifecycle.onClose('tick scheduler', () => scheduler.stop());
}

async function startHttp(
  config: Config,
  logger: Logger,
  services: Services,
  registry: RegistryStore,
  registryFile: RegistryFilePort,
  auth: Authenticator,
  keys: ApiKeyStore,
  gitSync: GitSync | undefined,
  lifecycle: Lifecycle,
): Promise<{ app: FastifyInstance; address: string }> {
  const metrics = createMetrics();
  // Read from Redis and Postgres at each scrape: every replica shows the whole account's budget and the latest reconciliation.
  registerReconciliationMetrics(metrics.registry, services.pg);
  if (config.alpaca) registerAlpacaBudgetMetrics(metrics.registry, services.redis, config.alpaca.keyId);
  const app = buildHttpApp({
    logger,
    metrics,
    probes: { postgres: postgresProbe(services.pg), redis: redisProbe(services.redis) },
    plugins: { rateLimitRedis: services.redis, authFailuresPerMinute: config.authFailuresPerMinute },
    trustProxy: config.trustProxy,
  });
  // Inside a plugin, so the OpenAPI document and the rate limits (loaded first) see these routes.
  void app.register((scope, _options, done) => {
    registerAdminRoutes(scope, { auth, registry, registryFile, keys, pool: services.pg });
    registerTeamRoutes(scope, { auth, registry });
    done();
  });
  // The Git sync runs in one process (the control role); every other replica relays to it over Redis.
  const sync: GitSyncPort =
    gitSync ??
    relayedGitSync({
      redis: services.redis,
      openSubscriber: () => services.redis.duplicate(),
      registry: () => registry.current(),
      log: logger.child({ component: 'git-sync-relay' }),
    });
  registerGitHookRoutes(app, { secretFor: (team) => readWebhookSecret(services.pg, team), requestSync: (team) => sync.requestSync(team) });
  registerLiveApi(app, {
    pg: services.pg,
    redis: services.redis,
    // One connection for the activity reader, one for the leaderboard subscriber.
    openRedis: () => services.redis.duplicate(),
    auth,
    syncNow: (teamId?: string) => sync.syncNow(teamId),
    rateLimitPublicPerMinute: config.rateLimitPublicPerMinute,
    rateLimitTeamPerMinute: config.rateLimitTeamPerMinute,
    sseMaxClients: config.sseMaxClients,
    sseMaxClientsPerAddress: config.sseMaxClientsPerAddress,
    wsMaxClients: config.wsMaxClients,
    wsMaxClientsPerAddress: config.wsMaxClientsPerAddress,
  });
  lifecycle.onClose('http server', () => app.close());
  try {
    return { app, address: await app.listen({ port: config.port, host: config.host }) };
  } catch (error) {
    throw describeListenError(error, config);
  }
}

/**
 * The composition root: builds the object graph of the chosen roles from the configuration. Everything
 * started is registered on `lifecycle` (the caller's, so a signal during start-up can stop it).
 */
export async function startCompetitionServer(config: Config, logger: Logger, roles: Roles = ALL_ROLES, lifecycle = new Lifecycle()): Promise<CompetitionServer> {
  const readsFile = (roles.registry ?? (roles.embedded === 'run' ? 'file' : 'postgres')) === 'file';
  // A broken registry stops the start before any service is touched.
  if (readsFile) await loadRegistryFile(config.registryFile);
  try {
    const services = await startServices(config, logger, lifecycle, roles.embedded);
    // The control role publishes the file to Postgres (under the leader lock); the others follow Postgres.
    const registry = await openRegistry({
      pool: services.pg,
      logger,
      lifecycle,
      control: readsFile,
      file: config.registryFile,
      // The market in force (a replay's bars) goes with every registry version, so no worker reads a file of its own.
      alongside: publishMarketWithRegistry({ replayFile: config.tick.replayFile, registryFile: config.registryFile }),
    });

    // Only this process reads the file: the others' admin routes ask it to reload (over Redis).
    let registryFile: RegistryFilePort;
    if (readsFile) {
      const log = logger.child({ component: 'registry-relay' });
      lifecycle.onClose('registry relay', await serveRegistryReloads({ store: registry, redis: services.redis, subscriber: services.redis.duplicate(), log }));
      registryFile = localRegistryFile(registry);
    } else {
      registryFile = relayedRegistryFile({ store: registry, pool: services.pg, redis: services.redis, openSubscriber: () => services.redis.duplicate() });
    }

    const gitSync = roles.control ? await startControl(config, logger, services, registry, lifecycle) : undefined;
    if (roles.ticks) await startTicks(config, logger, services, registry, lifecycle);

    let http: { app: FastifyInstance; address: string } | undefined;
    if (roles.http) {
      const keys = new ApiKeyStore({ pool: services.pg, graceMs: config.keyRotationGraceMs });
      const auth = createAuthenticator({ verifyTeamKey: (key) => keys.verify(key), adminKeys: new AdminKeys(config.adminKeys) });
      if (config.adminKeys.length === 0) logger.warn('QTC_ADMIN_KEYS is not set: the admin API refuses every request (npx qtc admin … still works)');
      http = await startHttp(config, logger, services, registry, registryFile, auth, keys, gitSync, lifecycle);
    }
    await recordAuditEvent(services.pg, { actor: 'system', kind: 'server.started', details: { address: http?.address ?? null, roles, pid: process.pid } });
    return {
      services,
      registry,
      app: http?.app,
      gitSync,
      address: http?.address,
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
