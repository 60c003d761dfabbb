/**
 * Git sync requests from any API replica to the one process that runs the Git sync (the control role's
 * API process), over Redis pub/sub. Behind a load balancer a push webhook or an admin "sync now" lands
 * on any replica; without this relay only the control host's API could take them (404 or 503 elsewhere).
 * A webhook is fire-and-forget (the replica checks the signature and that the team is enabled, as the
 * control process would); "sync now" waits for the control process's answer on a reply channel.
 */
import type { Logger } from 'pino';
import type { RedisClient } from '../../data/redis/client.ts';
import { REDIS_KEYS } from '../config/redisKeys.ts';
import { UnknownTeamError, type GitSync } from '../../loaders/git/gitSync.ts';
import type { TeamSyncResult } from '../../loaders/git/syncTeam.ts';
import type { Registry } from '../../registry/schema.ts';
import { askControl, ControlUnavailableError, serveControlRequests, tellControl } from './controlRelay.ts';

/** What the HTTP routes need from the Git sync, local or relayed. */
export type GitSyncPort = Pick<GitSync, 'requestSync' | 'syncNow'>;

/** No process runs the Git sync (the control role is down), or it did not answer in time. */
export class GitSyncUnavailableError extends Error {
  override name = 'GitSyncUnavailableError';
}

const TEAM = /^[a-z0-9][a-z0-9-]{1,31}$/;

interface SyncRequest {
  team?: string;
}
type SyncReply = { results: TeamSyncResult[] } | { error: { unknownTeam: boolean; message: string } };

function parseRequest(fields: Record<string, unknown>): SyncRequest | undefined {
  const { team } = fields;
  if (team !== undefined && (typeof team !== 'string' || !TEAM.test(team))) return undefined;
  return team === undefined ? {} : { team };
}

function isReply(value: unknown): value is SyncReply {
  if (typeof value !== 'object' || value === null) return false;
  if ('results' in value) return Array.isArray(value.results);
  return 'error' in value && typeof value.error === 'object' && value.error !== null;
}

/** In the process that runs the Git sync: takes the replicas' requests. `subscriber` is a connection of its own. */
export async function serveGitSyncRequests(options: {
  gitSync: GitSync;
  redis: RedisClient;
  subscriber: RedisClient;
  log: Logger;
  channel?: string;
}): Promise<() => Promise<void>> {
  const { gitSync } = options;
  return serveControlRequests<SyncRequest>({
    redis: options.redis,
    subscriber: options.subscriber,
    log: options.log,
    channel: options.channel ?? REDIS_KEYS.gitSyncChannel,
    what: 'git sync',
    parse: parseRequest,
    handle: (request, answered) => {
      if (!answered) {
        if (request.team !== undefined) gitSync.requestSync(request.team);
        return;
      }
      return gitSync.syncNow(request.team).then(
        (results): SyncReply => ({ results }),
        (error: unknown): SyncReply => ({ error: { unknownTeam: error instanceof UnknownTeamError, message: error instanceof Error ? error.message : String(error) } }),
      );
    },
  });
}

/** On a replica without the Git sync: the same port, carried over Redis to the process that runs it. */
export function relayedGitSync(options: {
  redis: RedisClient;
  openSubscriber: () => RedisClient;
  registry: () => Registry;
  log: Logger;
  answerTimeoutMs?: number;
  channel?: string;
}): GitSyncPort {
  const { redis, log } = options;
  const channel = options.channel ?? REDIS_KEYS.gitSyncChannel;
  return {
    requestSync(teamId) {
      if (!options.registry().teams.some((team) => team.id === teamId && team.enabled)) return false;
      tellControl(redis, channel, { team: teamId }).then(
        (receivers) => {
          if (receivers === 0) log.warn({ team: teamId }, 'no process runs the Git sync (is the control process up?): the push is picked up by its next poll');
        },
        (error: unknown) => log.error({ err: error, team: teamId }, 'could not relay a git sync request'),
      );
      return true;
    },
    async syncNow(teamId) {
      let reply: unknown;
      try {
        reply = await askControl({
          redis,
          openSubscriber: options.openSubscriber,
          channel,
          fields: teamId === undefined ? {} : { team: teamId },
          timeoutMs: options.answerTimeoutMs ?? 120_000,
          who: 'the Git sync',
        });
      } catch (error) {
        throw error instanceof ControlUnavailableError ? new GitSyncUnavailableError(error.message) : error;
      }
      if (!isReply(reply)) throw new GitSyncUnavailableError('the Git sync answered something that is not a sync result');
      if ('results' in reply) return reply.results;
      throw reply.error.unknownTeam ? new UnknownTeamError(reply.error.message) : new Error(reply.error.message);
    },
  };
}
