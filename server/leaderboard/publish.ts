/**
 * Computing, caching and announcing the leaderboard. The minute job calls
 * `computeAndPublishLeaderboard` after each tick with the snapshots it just stored: the board held in
 * this process's memory (`boardState.ts`) takes them, its checkpoint is written in one statement, the
 * JSON of `GET /leaderboard` is cached in Redis (the API's fast path), the same JSON goes out on the
 * leaderboard channel (every replica pushes it to its WebSocket clients) and a `leaderboard` event is
 * appended to the activity stream.
 *
 * Computations are serialised across processes by a transaction-scoped advisory lock, and the board
 * only moves forward, so the cached board never goes back to an older minute even when two workers (or
 * a retried job) compute at once. A process whose board is behind the checkpoint (another worker did
 * the last minutes) takes the snapshots it missed from Postgres; one that has none, or is far behind,
 * rebuilds it from the checkpoint. Either way the numbers are the same to the bit.
 */
import { inTransaction } from '../../data/postgres/transaction.ts';
import type pg from 'pg';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { RedisClient } from '../../data/redis/client.ts';
import { REDIS_KEYS } from '../config/redisKeys.ts';
import { readHaltState } from '../control/halts.ts';
import { publishActivity } from '../live/activity.ts';
import type { BoardState } from './boardState.ts';
import { SPARKLINE_POINTS, type BoardProblem, type BoardSnapshot } from './boardState.ts';
import { checkpointMinute, rebuildBoard, saveCheckpoint, snapshotsBetween } from './boardStore.ts';
import { readTradeStats } from '../ledger/tradeStats.ts';
import { standingsOf, teamInfos } from './standings.ts';
import { buildLeaderboardView, topOf, type LeaderboardView } from './view.ts';
import { leaderboardJson, SparklineTexts } from './viewJson.ts';

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
  /** Every team's snapshot of `minute` as just stored (the books stage's): spares reading them back. */
  snapshots?: readonly BoardSnapshot[];
}

export interface PublishedLeaderboard {
  view: LeaderboardView;
  /** The exact JSON cached and published. */
  json: string;
  /** Snapshots the metrics took in this computation (0: nothing new since the previous one). */
  newSnapshots: number;
  /** Snapshots the metrics could not take (reported, the other teams unaffected). */
  problems: BoardProblem[];
}

/** One computation at a time across processes: the board only moves forward. */
function inLockedTransaction<T>(pool: PgPool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (client) => {
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('qtc.leaderboard'))`);
    return work(client);
  });
}

/** The board of each pool's database in this process (none until its first computation). */
const boards = new WeakMap<PgPool, BoardState>();
/** The sparkline texts of each pool's last published board (only reused for the same numbers). */
const sparklineTexts = new WeakMap<PgPool, SparklineTexts>();

function sparklineTextsOf(pool: PgPool): SparklineTexts {
  let texts = sparklineTexts.get(pool);
  if (texts === undefined) {
    texts = new SparklineTexts();
    sparklineTexts.set(pool, texts);
  }
  return texts;
}

/** A board further behind the checkpoint than this is rebuilt from it rather than caught up snapshot by snapshot. */
const CATCH_UP_MINUTES = SPARKLINE_POINTS;
/**
 * The checkpoint is rewritten once the board is this far past it: a rebuild replays at most these minutes
 * of snapshots, and most minutes write nothing at all (a checkpoint is ~100 bytes a team).
 */
export const CHECKPOINT_EVERY_MINUTES = 15;

/** This process's board, brought to `minute` under the leaderboard lock. */
async function advancedBoard(
  pool: PgPool,
  client: pg.PoolClient,
  minute: number,
  given: readonly BoardSnapshot[] | undefined,
): Promise<{ board: BoardState; taken: number; problems: BoardProblem[]; stored: number | null }> {
  const stored = await checkpointMinute(client);
  let board = boards.get(pool);
  // The board is a function of the stored snapshots, so it is behind the checkpoint (another worker did
  // the last books), level with it, or ahead (checkpoints are periodic). Far behind it is rebuilt; a board
  // with snapshots while the database has no checkpoint (a database emptied under it) too.
  const usable = board !== undefined && (stored === null ? !Number.isFinite(board.watermark) : stored - board.watermark <= CATCH_UP_MINUTES * 60_000);
  let taken = 0;
  const problems: BoardProblem[] = [];
  if (board === undefined || !usable) {
    // Only what lies beyond the checkpoint counts as taken by this computation.
    board = await rebuildBoard(client, stored ?? Number.NEGATIVE_INFINITY);
  }
  const ofMinute = given?.every((snapshot) => snapshot.minute === minute) === true ? given : undefined;
  const upTo = ofMinute === undefined ? minute : minute - 1;
  if (upTo > board.watermark) {
    const step = board.advance(await snapshotsBetween(client, board.watermark, upTo));
    taken += step.taken;
    problems.push(...step.problems);
  }
  if (ofMinute !== undefined) {
    const step = board.advance(ofMinute);
    taken += step.taken;
    problems.push(...step.problems);
  }
  return { board, taken, problems, stored };
}

/**
 * Brings this process's board to `minute` under the lock, writes its checkpoint and builds the view; the
 * board is kept only once the transaction committed (a failure drops it: the next computation rebuilds).
 */
async function computeLocked<T>(
  pool: PgPool,
  minute: number,
  now: () => number,
  given: readonly BoardSnapshot[] | undefined,
  after: (client: pg.PoolClient, view: LeaderboardView) => Promise<T>,
): Promise<{ view: LeaderboardView; newSnapshots: number; problems: BoardProblem[]; extra: T }> {
  const halts = await readHaltState(pool);
  try {
    let kept: BoardState | undefined;
    const result = await inLockedTransaction(pool, async (client) => {
      const { board, taken, problems, stored } = await advancedBoard(pool, client, minute, given);
      boards.delete(pool);
      if (taken > 0 && (stored === null || board.watermark - stored >= CHECKPOINT_EVERY_MINUTES * 60_000)) await saveCheckpoint(client, board);
      const [teams, trades] = [await teamInfos(client), await readTradeStats(client)];
      const view = buildLeaderboardView(standingsOf(board, teams, trades, new Set(halts.teams.keys())), halts.competition !== null, now());
      const extra = await after(client, view);
      kept = board;
      return { view, newSnapshots: taken, problems, extra };
    });
    if (kept !== undefined) boards.set(pool, kept);
    return result;
  } catch (error) {
    boards.delete(pool);
    throw error;
  }
}

/** Computes the board as of `minute` (epoch ms) without touching Redis. */
export async function computeLeaderboard(pg: PgPool, minute: number, now: () => number = Date.now): Promise<{ view: LeaderboardView; newSnapshots: number }> {
  const { view, newSnapshots } = await computeLocked(pg, minute, now, undefined, () => Promise.resolve(null));
  return { view, newSnapshots };
}

/**
 * After each tick: compute as of `minute`, cache, publish on the channel, append a `leaderboard`
 * activity event. Safe to call again for the same minute (a retried job): the metrics take each
 * snapshot once and the board is simply re-sent.
 */
export async function computeAndPublishLeaderboard(pg: PgPool, redis: RedisClient, minute: number, options: PublishOptions = {}): Promise<PublishedLeaderboard> {
  const keys = options.keys ?? DEFAULT_LEADERBOARD_KEYS;
  const now = options.now ?? Date.now;
  const {
    view,
    newSnapshots,
    problems,
    extra: json,
  } = await computeLocked(pg, minute, now, options.snapshots, async (_client, view) => {
    const json = leaderboardJson(view, sparklineTextsOf(pg));
    // Encoded once for both commands: at 3,000 teams the board is ~7 MB of JSON, and each string argument
    // would be encoded to UTF-8 again (~7 ms each on this machine).
    const bytes = Buffer.from(json);
    // Still under the lock: a concurrent computation cannot overwrite this with an older board.
    const results = await redis.multi().set(keys.leaderboard, bytes).publish(keys.leaderboardChannel, bytes).exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (results === null || failed) throw new Error('Redis did not store the leaderboard', { cause: failed ?? undefined });
    await publishActivity(redis, { type: 'leaderboard', at: now(), minute, top: topOf(view, ACTIVITY_TOP) }, keys.activityStream);
    return json;
  });
  return { view, json, newSnapshots, problems };
}

/** The cached JSON of `GET /leaderboard`, or null when no tick has published one yet. */
export async function readCachedLeaderboard(redis: RedisClient, keys: LeaderboardKeys = DEFAULT_LEADERBOARD_KEYS): Promise<string | null> {
  return redis.get(keys.leaderboard);
}
