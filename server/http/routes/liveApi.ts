/**
 * Every route of the live competition API in one call, for the composition root: public
 * (leaderboard, activity, WebSocket), team data, admin operations and the OpenAPI document.
 */
import type { FastifyInstance } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import type { RedisClient } from '../../../data/redis/client.ts';
import type { TeamSyncResult } from '../../../loaders/git/syncTeam.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { DEFAULT_LEADERBOARD_KEYS, type LeaderboardKeys } from '../../leaderboard/publish.ts';
import { startVersionAnnouncer } from '../../live/versionAnnouncer.ts';
import { registerAdminOpsRoutes } from './adminOps.ts';
import { registerDocsRoutes } from './docs.ts';
import { registerPublicRoutes } from './public.ts';
import { registerTeamDataRoutes } from './teamData.ts';

export interface LiveApiDeps {
  pg: PgPool;
  redis: RedisClient;
  /** A new Redis connection each call (the activity reader and the leaderboard subscriber each own one). */
  openRedis: () => RedisClient;
  auth: Authenticator;
  syncNow?: (teamId?: string) => Promise<TeamSyncResult[]>;
  keys?: LeaderboardKeys;
  rateLimitPublicPerMinute?: number;
  rateLimitTeamPerMinute?: number;
  sseMaxClients?: number;
  sseMaxClientsPerAddress?: number;
  wsMaxClients?: number;
  wsMaxClientsPerAddress?: number;
  sseHeartbeatMs?: number;
  /**
   * Default true: publish `version_activated` / `version_rejected` events for the versions any
   * process records (one Postgres connection listens; replicas publish each event once).
   */
  announceVersions?: boolean;
  /** Prefix of the workers' sandbox health keys (tests); default REDIS_KEYS.sandboxHealthPrefix. */
  sandboxHealthPrefix?: string;
}

/**
 * The routes go in a plugin of their own: Fastify loads it after the OpenAPI, rate-limit and
 * WebSocket plugins `buildHttpApp` registered, whose route hooks must exist before a route is added.
 */
export function registerLiveApi(app: FastifyInstance, deps: LiveApiDeps): void {
  if (deps.announceVersions !== false) {
    let announcer: { close: () => Promise<void> } | null = null;
    app.addHook('onReady', async () => {
      try {
        announcer = await startVersionAnnouncer({
          pg: deps.pg,
          redis: deps.redis,
          stream: (deps.keys ?? DEFAULT_LEADERBOARD_KEYS).activityStream,
          onError: (error) => app.log.warn({ err: error }, 'a version event could not be published'),
        });
      } catch (error) {
        app.log.warn({ err: error }, 'version events are not announced: could not listen on Postgres');
      }
    });
    app.addHook('onClose', async () => {
      await announcer?.close();
    });
  }
  void app.register((scope, _options, done) => {
    registerLiveRoutes(scope, deps);
    done();
  });
}

function registerLiveRoutes(app: FastifyInstance, deps: LiveApiDeps): void {
  registerPublicRoutes(app, {
    pg: deps.pg,
    redis: deps.redis,
    openRedis: deps.openRedis,
    ...(deps.keys === undefined ? {} : { keys: deps.keys }),
    ...(deps.rateLimitPublicPerMinute === undefined ? {} : { rateLimitPerMinute: deps.rateLimitPublicPerMinute }),
    ...(deps.sseMaxClients === undefined ? {} : { sseMaxClients: deps.sseMaxClients }),
    ...(deps.sseMaxClientsPerAddress === undefined ? {} : { sseMaxClientsPerAddress: deps.sseMaxClientsPerAddress }),
    ...(deps.wsMaxClients === undefined ? {} : { wsMaxClients: deps.wsMaxClients }),
    ...(deps.wsMaxClientsPerAddress === undefined ? {} : { wsMaxClientsPerAddress: deps.wsMaxClientsPerAddress }),
    ...(deps.sseHeartbeatMs === undefined ? {} : { sseHeartbeatMs: deps.sseHeartbeatMs }),
  });
  registerTeamDataRoutes(app, {
    pg: deps.pg,
    auth: deps.auth,
    ...(deps.rateLimitTeamPerMinute === undefined ? {} : { rateLimitPerMinute: deps.rateLimitTeamPerMinute }),
    stream: {
      redis: deps.redis,
      openRedis: deps.openRedis,
      activityStream: (deps.keys ?? DEFAULT_LEADERBOARD_KEYS).activityStream,
      ...(deps.sseMaxClients === undefined ? {} : { maxClients: deps.sseMaxClients }),
      ...(deps.sseMaxClientsPerAddress === undefined ? {} : { maxClientsPerAddress: deps.sseMaxClientsPerAddress }),
      ...(deps.sseHeartbeatMs === undefined ? {} : { heartbeatMs: deps.sseHeartbeatMs }),
    },
  });
  registerAdminOpsRoutes(app, {
    pg: deps.pg,
    redis: deps.redis,
    auth: deps.auth,
    ...(deps.syncNow === undefined ? {} : { syncNow: deps.syncNow }),
    ...(deps.keys === undefined ? {} : { activityStream: deps.keys.activityStream }),
    ...(deps.sandboxHealthPrefix === undefined ? {} : { sandboxHealthPrefix: deps.sandboxHealthPrefix }),
  });
  registerDocsRoutes(app);
}
