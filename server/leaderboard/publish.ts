/**
 * Computing, caching and announcing the leaderboard. The minute job calls
 * `computeAndPublishLeaderboard` after each tick: the figures come from Postgres, the JSON of
 * `GET /leaderboard` is cached in Redis (the API's fast path), the same JSON goes out on the
 * leaderboard channel (every replica pushes it to its WebSocket clients) and a `leaderboard` event
 * is appended to the activity stream.
 *
 * Computations are serialised across processes by a transaction-scoped advisory lock, and the state
 * they advance only moves forward, so the cached board never goes back to an older minute even when
 * two workers (or a retried job) compute at once.
 */
import { inTransaction } from '../../data/postgres/transaction.ts';
import type pg from 'pg';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { RedisClient } from '../../data/redis/client.ts';
import { REDIS_KEYS } from '../../data/redis/keys.ts';
import { readHaltState } from '../control/halts.ts';
import { publishActivity } from '../live/activity.ts';
import { advanceTeamStates, readStandings } from './standings.ts';
import { buildLeaderboardView, topOf, type LeaderboardView } from './view.ts';

/** Where the leaderboard lives in Redis; tests use their own keys on a shared server. */
export interface LeaderboardKeys {
  leaderboard: string;
  leaderboardChannel: string;
  activityStream: string;
}

export const DEFAULT_LEADERBOARD_KEYS: LeaderboardKeys = {
  leaderboard: REDIS_KEYS.leaderboard,
  leaderboardChannel: REDIS_KEYS.leaderboardChannel,
  activityStream: REDIS_KEYS.activityStream,
};

/** Teams listed in the `leaderboard` activity event. */
const ACTIVITY_TOP = 10;

export interface PublishOptions {
  keys?: LeaderboardKeys;
  now?: () => number;
}

export interface PublishedLeaderboard {
  view: LeaderboardView;
  /** The exact JSON cached and published. */
  json: string;
  /** Snapshots the metrics took in this computation (0: nothing new since the previous one). */
  newSnapshots: number;
}

/** One computation at a time across processes: the board only moves forward. */
function inLockedTransaction<T>(pool: PgPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('qtc.leaderboard'))`);
    return work(client);
  });
}

/** Computes the board from Postgres as of `minute` (epoch ms) without touching Redis. */
export async function computeLeaderboard(pg: PgPool, minute: number, now: () => number = Date.now): Promise<{ view: LeaderboardView; newSnapshots: number }> {
  const halts = await readHaltState(pg);
  return inLockedTransaction(pg, async (client) => {
    const newSnapshots = await advanceTeamStates(client, minute);
    const standings = await readStandings(client, new Set(halts.teams.keys()));
    return { view: buildLeaderboardView(standings, halts.competition !== null, now()), newSnapshots };
  });
}

/**
 * After each tick: compute as of `minute`, cache, publish on the channel, append a `leaderboard`
 * activity event. Safe to call again for the same minute (a retried job): the metrics take each
 * snapshot once and the board is simply re-sent.
 */
export async function computeAndPublishLeaderboard(pg: PgPool, redis: RedisClient, minute: number, options: PublishOptions = {}): Promise<PublishedLeaderboard> {
  const keys = options.keys ?? DEFAULT_LEADERBOARD_KEYS;
  const now = options.now ?? Date.now;
  const halts = await readHaltState(pg);
  return inLockedTransaction(pg, async (client) => {
    const newSnapshots = await advanceTeamStates(client, minute);
    const standings = await readStandings(client, new Set(halts.teams.keys()));
    const view = buildLeaderboardView(standings, halts.competition !== null, now());
    const json = JSON.stringify(view);
    // Still under the lock: a concurrent computation cannot overwrite this with an older board.
    const results = await redis.multi().set(keys.leaderboard, json).publish(keys.leaderboardChannel, json).exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (results === null || failed) throw new Error('Redis did not store the leaderboard', { cause: failed ?? undefined });
    await publishActivity(redis, { type: 'leaderboard', at: now(), minute, top: topOf(view, ACTIVITY_TOP) }, keys.activityStream);
    return { view, json, newSnapshots };
  });
}

/** The cached JSON of `GET /leaderboard`, or null when no tick has published one yet. */
export async function readCachedLeaderboard(redis: RedisClient, keys: LeaderboardKeys = DEFAULT_LEADERBOARD_KEYS): Promise<string | null> {
  return redis.get(keys.leaderboard);
}
