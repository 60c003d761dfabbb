/**
 * The activity stream in Redis. Every event goes to the main stream (what `/activity/stream` follows
 * and resumes from), and, with the same entry id, to a history stream of its type and, for a team's
 * event, to that team's stream. Each history is capped on its own, so a busy kind of event (ticks,
 * leaderboard updates, a flood of strategy errors) never pushes the others out: `/activity/recent`
 * reads the histories, a team's stream resumes from its own.
 */
import type { RedisClient } from '../../data/redis/client.ts';
import { REDIS_KEYS } from '../config/redisKeys.ts';
import { clipEvent } from './clip.ts';
import { compareStreamIds } from './streamIds.ts';
import { ACTIVITY_TYPES, COMPETITION_TYPES, HOUSEKEEPING_TYPES, type ActivityEvent, type ActivityType, type StoredActivity } from './events.ts';

/** Roughly how many events the main stream keeps; SSE clients further behind start from the oldest kept. */
export const ACTIVITY_STREAM_MAX_LENGTH = 10_000;

/** Roughly how many events of each type the history keeps. */
export const TYPE_HISTORY_LENGTH: Readonly<Record<ActivityType, number>> = {
  trade: 2_000,
  order_rejected: 1_000,
  strategy_error: 1_000,
  version_activated: 500,
  version_rejected: 500,
  team_halted: 200,
  team_resumed: 200,
  competition_halted: 100,
  competition_resumed: 100,
  season_started: 100,
  reconciliation: 200,
  tick: 500,
  leaderboard: 200,
};

/** Roughly how many events one team's stream keeps (its trades, rejections, errors, versions, halts). */
export const TEAM_HISTORY_LENGTH = 500;

export const typeStreamKey = (stream: string, type: ActivityType): string => `${stream}:type:${type}`;
export const teamStreamKey = (stream: string, teamId: string): string => `${stream}:team:${teamId}`;

/**
 * KEYS: main stream, then per event its type stream and its team stream (the main key again when it
 * has no team). ARGV: count, main cap, team cap, then per event its JSON and its type's cap. The
 * copies take the main entry's id; one that cannot (a history written by a clock that ran ahead) is
 * skipped rather than failing the publish.
 */
const PUBLISH_SCRIPT = `
local n = tonumber(ARGV[1])
local ids = {}
for i = 1, n do
  local json = ARGV[3 + 2 * i - 1]
  local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'event', json)
  pcall(redis.call, 'XADD', KEYS[2 * i], 'MAXLEN', '~', ARGV[3 + 2 * i], id, 'event', json)
  if KEYS[2 * i + 1] ~= KEYS[1] then
    pcall(redis.call, 'XADD', KEYS[2 * i + 1], 'MAXLEN', '~', ARGV[3], id, 'event', json)
  end
  ids[i] = id
end
return ids
`;

/** Events per script call: bounds one call's time on the Redis server. */
const PUBLISH_BATCH = 200;

function teamOf(event: ActivityEvent): string | null {
  return 'teamId' in event && typeof event.teamId === 'string' ? event.teamId : null;
}

async function publishBatch(redis: RedisClient, events: readonly ActivityEvent[], stream: string): Promise<string[]> {
  const keys: string[] = [stream];
  const args: Array<string | number> = [events.length, ACTIVITY_STREAM_MAX_LENGTH];
  // The team cap goes third, before the per-event pairs.
  args.push(TEAM_HISTORY_LENGTH);
  for (const original of events) {
    const event = clipEvent(original);
    const team = teamOf(event);
    keys.push(typeStreamKey(stream, event.type), team === null ? stream : teamStreamKey(stream, team));
    args.push(JSON.stringify(event), TYPE_HISTORY_LENGTH[event.type] ?? 500);
  }
  const ids = (await redis.eval(PUBLISH_SCRIPT, keys.length, ...keys, ...args)) as string[] | null;
  if (!Array.isArray(ids) || ids.length !== events.length) throw new Error('Redis did not store the activity events');
  return ids;
}

/** Appends one event (its texts clipped) to the activity stream (every API replica reads it). Returns the entry id. */
export async function publishActivity(redis: RedisClient, event: ActivityEvent, stream: string = REDIS_KEYS.activityStream): Promise<string> {
  const [id] = await publishBatch(redis, [event], stream);
  if (id === undefined) throw new Error('Redis did not store the activity event');
  return id;
}

/** Appends several events in order, in as few round trips as the batch size allows. */
export async function publishActivities(redis: RedisClient, events: readonly ActivityEvent[], stream: string = REDIS_KEYS.activityStream): Promise<void> {
  for (let start = 0; start < events.length; start += PUBLISH_BATCH) await publishBatch(redis, events.slice(start, start + PUBLISH_BATCH), stream);
}

/** Decodes one stream entry as XRANGE/XREAD return it. */
export function decodeStreamEntry(entry: [id: string, fields: string[]]): StoredActivity | null {
  const [id, fields] = entry;
  const index = fields.indexOf('event');
  const raw = index >= 0 ? fields[index + 1] : undefined;
  if (raw === undefined) return null;
  try {
    return { id, event: JSON.parse(raw) as ActivityEvent };
  } catch {
    return null;
  }
}

type RawEntries = Array<[string, string[]]>;

/** Entries of several streams merged in id order, each id once. */
function merge(lists: ReadonlyArray<RawEntries>): StoredActivity[] {
  const byId = new Map<string, [string, string[]]>();
  for (const list of lists) for (const entry of list) byId.set(entry[0], entry);
  return [...byId.values()]
    .sort((a, b) => compareStreamIds(a[0], b[0]))
    .map(decodeStreamEntry)
    .filter((entry): entry is StoredActivity => entry !== null);
}

async function pipelined(redis: RedisClient, commands: Array<(pipeline: ReturnType<RedisClient['pipeline']>) => void>): Promise<RawEntries[]> {
  const pipeline = redis.pipeline();
  for (const add of commands) add(pipeline);
  const results = (await pipeline.exec()) ?? [];
  return results.map(([error, value]) => {
    if (error) throw error;
    return (value ?? []) as RawEntries;
  });
}

/** Types `/activity/recent` shows when none is asked for: all but the minute job's book-keeping. */
export const DEFAULT_RECENT_TYPES: readonly ActivityType[] = ACTIVITY_TYPES.filter((type) => !HOUSEKEEPING_TYPES.has(type));

/** The newest `limit` events of these types, oldest first, from their histories. */
export async function readRecentByType(redis: RedisClient, stream: string, types: readonly ActivityType[], limit: number): Promise<StoredActivity[]> {
  const lists = await pipelined(
    redis,
    types.map((type) => (pipeline) => pipeline.xrevrange(typeStreamKey(stream, type), '+', '-', 'COUNT', limit)),
  );
  return merge(lists).slice(-limit);
}

/**
 * A team's events after `afterId` (exclusive), oldest first, at most `limit`: its own history and the
 * competition-wide halts. With `withTicks`, the tick events too (to rebuild its minutes).
 */
export async function readTeamSince(redis: RedisClient, stream: string, teamId: string, afterId: string, limit: number, withTicks = false): Promise<StoredActivity[]> {
  const keys = [teamStreamKey(stream, teamId), ...COMPETITION_TYPES.map((type) => typeStreamKey(stream, type)), ...(withTicks ? [typeStreamKey(stream, 'tick')] : [])];
  const lists = await pipelined(
    redis,
    keys.map((key) => (pipeline) => pipeline.xrange(key, `(${afterId}`, '+', 'COUNT', limit)),
  );
  return merge(lists).slice(0, limit);
}
