/**
 * Git sync requests from any API replica to the one process that runs the Git sync (the control role's
 * API process), over Redis pub/sub. Behind a load balancer a push webhook or an admin "sync now" lands
 * on any replica; without this relay only the control host's API could take them (404 or 503 elsewhere).
 * A webhook is fire-and-forget (the replica checks the signature and that the team is enabled, as the
 * control process would); "sync now" waits for the control process's answer on a reply channel.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RedisClient } from '../../data/redis/client.ts';
import { REDIS_KEYS } from '../config/redisKeys.ts';
import { UnknownTeamError, type GitSync } from '../../loaders/git/gitSync.ts';
import type { TeamSyncResult } from '../../loaders/git/syncTeam.ts';
import type { Registry } from '../../registry/schema.ts';

/** What the HTTP routes need from the Git sync, local or relayed. */
export type GitSyncPort = Pick<GitSync, 'requestSync' | 'syncNow'>;

/** No process runs the Git sync (the control role is down), or it did not answer in time. */
export class GitSyncUnavailableError extends Error {
  override name = 'GitSyncUnavailableError';
}

/** The channels under `base` (default REDIS_KEYS.gitSyncChannel). */
const requestsOf = (base: string) => `${base}:requests`;
const replyOf = (base: string, id: string) => `${base}:reply:${id}`;
const ID = /^[0-9a-f-]{36}$/;
const TEAM = /^[a-z0-9][a-z0-9-]{1,31}$/;

interface SyncRequest {
  /** Present when the sender waits for the results. */
  id?: string;
  team?: string;
}
type SyncReply = { results: TeamSyncResult[] } | { error: { unknownTeam: boolean; message: string } };

function parseRequest(text: string): SyncRequest | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, team } = value as Record<string, unknown>;
  if (id !== undefined && (typeof id !== 'string' || !ID.test(id))) return undefined;
  if (team !== undefined && (typeof team !== 'string' || !TEAM.test(team))) return undefined;
  return { ...(id === undefined ? {} : { id }), ...(team === undefined ? {} : { team }) };
}

/** A lazily connecting client (createRedis, duplicate) is connected before it subscribes. */
async function connected(client: RedisClient): Promise<void> {
  if (client.status === 'wait') await client.connect();
}

/** In the process that runs the Git sync: takes the replicas' requests. `subscriber` is a connection of its own. */
export async function serveGitSyncRequests(options: {
  gitSync: GitSync;
  redis: RedisClient;
  subscriber: RedisClient;
  log: Logger;
  channel?: string;
}): Promise<() => Promise<void>> {
  const { gitSync, redis, subscriber, log } = options;
  const base = options.channel ?? REDIS_KEYS.gitSyncChannel;
  const REQUESTS = requestsOf(base);
  const replyChannel = (id: string) => replyOf(base, id);
  subscriber.on('message', (channel: string, text: string) => {
    if (channel !== REQUESTS) return;
    const request = parseRequest(text);
    if (!request) return log.warn({ channel }, 'ignored a malformed git sync request');
    if (request.id === undefined) {
      if (request.team !== undefined) gitSync.requestSync(request.team);
      return;
    }
    const answer = (reply: SyncReply) =>
      redis.publish(replyChannel(request.id!), JSON.stringify(reply)).catch((error: unknown) => log.error({ err: error }, 'could not answer a git sync request'));
    gitSync.syncNow(request.team).then(
      (results) => answer({ results }),
      (error: unknown) => answer({ error: { unknownTeam: error instanceof UnknownTeamError, message: error instanceof Error ? error.message : String(error) } }),
    );
  });
  await connected(subscriber);
  await subscriber.subscribe(REQUESTS); // ioredis subscribes again by itself after a reconnect
  return async () => {
    await subscriber.unsubscribe(REQUESTS).catch(() => undefined);
    subscriber.disconnect();
  };
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
  const base = options.channel ?? REDIS_KEYS.gitSyncChannel;
  const REQUESTS = requestsOf(base);
  const replyChannel = (id: string) => replyOf(base, id);
  const answerTimeoutMs = options.answerTimeoutMs ?? 120_000;
  return {
    requestSync(teamId) {
      if (!options.registry().teams.some((team) => team.id === teamId && team.enabled)) return false;
      redis.publish(REQUESTS, JSON.stringify({ team: teamId })).then(
        (receivers) => {
          if (receivers === 0) log.warn({ team: teamId }, 'no process runs the Git sync (is the control process up?): the push is picked up by its next poll');
        },
        (error: unknown) => log.error({ err: error, team: teamId }, 'could not relay a git sync request'),
      );
      return true;
    },
    async syncNow(teamId) {
      const id = randomUUID();
      const subscriber = options.openSubscriber();
      try {
        const answered = new Promise<SyncReply>((resolve) =>
          subscriber.on('message', (channel: string, text: string) => channel === replyChannel(id) && resolve(JSON.parse(text) as SyncReply)),
        );
        try {
          await connected(subscriber);
          await subscriber.subscribe(replyChannel(id));
        } catch (error) {
          throw new GitSyncUnavailableError(`cannot reach Redis to relay the request: ${(error as Error).message}`);
        }
        const receivers = await redis.publish(REQUESTS, JSON.stringify({ id, ...(teamId === undefined ? {} : { team: teamId }) }));
        if (receivers === 0) throw new GitSyncUnavailableError('no process runs the Git sync (the control process, qtc all, is not running)');
        let timer: NodeJS.Timeout | undefined;
        const timedOut = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new GitSyncUnavailableError(`the Git sync did not answer within ${String(answerTimeoutMs / 1000)} s`)), answerTimeoutMs);
        });
        const reply = await Promise.race([answered, timedOut]).finally(() => clearTimeout(timer));
        if ('results' in reply) return reply.results;
        throw reply.error.unknownTeam ? new UnknownTeamError(reply.error.message) : new Error(reply.error.message);
      } finally {
        subscriber.disconnect();
      }
    },
  };
}
