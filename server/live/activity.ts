import type { RedisClient } from '../../data/redis/client.ts';
import { REDIS_KEYS } from '../../data/redis/keys.ts';
import type { ActivityEvent, StoredActivity } from './events.ts';

/** Roughly how many events the stream keeps; SSE clients further behind start from the oldest kept. */
export const ACTIVITY_STREAM_MAX_LENGTH = 10_000;

/** Appends to the activity stream (every API replica reads it). Returns the entry id. */
export async function publishActivity(redis: RedisClient, event: ActivityEvent, stream: string = REDIS_KEYS.activityStream): Promise<string> {
  const id = await redis.xadd(stream, 'MAXLEN', '~', String(ACTIVITY_STREAM_MAX_LENGTH), '*', 'event', JSON.stringify(event));
  if (id === null) throw new Error('Redis did not store the activity event');
  return id;
}

/** Appends several events in one round trip, in order. */
export async function publishActivities(redis: RedisClient, events: readonly ActivityEvent[], stream: string = REDIS_KEYS.activityStream): Promise<void> {
  if (events.length === 0) return;
  const pipeline = redis.pipeline();
  for (const event of events) {
    pipeline.xadd(stream, 'MAXLEN', '~', String(ACTIVITY_STREAM_MAX_LENGTH), '*', 'event', JSON.stringify(event));
  }
  const results = await pipeline.exec();
  const failed = results?.find(([error]) => error !== null);
  if (failed?.[0]) throw failed[0];
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
