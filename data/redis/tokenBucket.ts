/**
 * A token bucket kept in Redis, so that every process using one Alpaca account draws on one budget.
 * One Lua script does each step atomically (Redis runs a script alone), and the time is Redis's own
 * (`TIME`): processes on different hosts agree on it, whatever their clocks say.
 *
 * The bucket holds at most `burst` tokens and refills at `(limit - burst) / intervalMs`, which bounds
 * the requests in ANY window of `intervalMs` by `limit` (the same sizing as the in-process
 * `TokenBucket` of data/market/alpaca; a plain bucket of capacity `limit` could let twice the limit
 * through in a rolling window).
 *
 * Priorities are reserves: a `take` with reserve R succeeds only while at least 1 + R tokens are there,
 * so requests with a smaller reserve (order submissions: 0) get the last tokens and the others wait.
 * A `pause` (Alpaca answered 429) empties the bucket and moves its refill start to the end of the pause:
 * nobody takes a token before then, and the refill starts from zero afterwards.
 */
import type { Redis } from 'ioredis';

// Hash fields: tokens (may be fractional), ts (ms: refill counted from here; in the future while
// paused), granted:<priority> and throttled (counters, for /metrics).
const LUA = `
local op = ARGV[1]
local limit = tonumber(ARGV[2])
local interval = tonumber(ARGV[3])
local burst = tonumber(ARGV[4])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local rate
if burst >= limit then rate = 1 / interval else rate = (limit - burst) / interval end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
if now > ts then
  tokens = math.min(burst, tokens + (now - ts) * rate)
  ts = now
end
local paused = ts - now
if op == 'peek' then
  return {0, 0, math.floor(tokens * 1000), paused}
end
if op == 'pause' then
  local untilMs = math.max(ts, now + tonumber(ARGV[5]))
  redis.call('HSET', KEYS[1], 'tokens', 0, 'ts', untilMs)
  redis.call('HINCRBY', KEYS[1], 'throttled', 1)
  return {0, untilMs - now, 0, untilMs - now}
end
local need = 1 + tonumber(ARGV[5])
if paused <= 0 and tokens >= need then
  tokens = tokens - 1
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', ts)
  redis.call('HINCRBY', KEYS[1], 'granted:' .. ARGV[6], 1)
  return {1, 0, math.floor(tokens * 1000), 0}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', ts)
return {0, paused + math.ceil((need - tokens) / rate), math.floor(tokens * 1000), paused}
`;

export interface TokenBucketShape {
  /** Most requests in any window of `intervalMs`. */
  limit: number;
  intervalMs: number;
  /** Tokens the bucket holds at most: what may go at once after a quiet period. */
  burst: number;
}

export interface TokenBucketAnswer {
  granted: boolean;
  /** When not granted: how long until enough tokens are there for this reserve (ms). */
  waitMs: number;
  /** Tokens left (after the take, if granted). */
  tokens: number;
  /** How much longer the bucket is paused (ms), 0 when it is not. */
  pausedMs: number;
}

type RawCommand = (key: string, ...args: Array<string | number>) => Promise<[number, number, number, number]>;
const COMMAND = 'qtcTokenBucket';

function command(redis: Redis): RawCommand {
  // defineCommand sends EVALSHA and falls back to EVAL when Redis does not know the script yet.
  if (typeof (redis as unknown as Record<string, unknown>)[COMMAND] !== 'function') redis.defineCommand(COMMAND, { numberOfKeys: 1, lua: LUA });
  const raw = (redis as unknown as Record<string, RawCommand>)[COMMAND]!;
  return raw.bind(redis);
}

const answer = ([granted, waitMs, milliTokens, pausedMs]: [number, number, number, number]): TokenBucketAnswer => ({
  granted: granted === 1,
  waitMs,
  tokens: milliTokens / 1_000,
  pausedMs: Math.max(0, pausedMs),
});

/** Takes one token if at least `1 + reserve` are there; counts it under `priority`. */
export async function takeToken(redis: Redis, key: string, shape: TokenBucketShape, reserve: number, priority: string): Promise<TokenBucketAnswer> {
  return answer(await command(redis)(key, 'take', shape.limit, shape.intervalMs, shape.burst, reserve, priority));
}

/** Empties the bucket and lets no token out for `pauseMs` (extends a longer pause, never shortens it). */
export async function pauseBucket(redis: Redis, key: string, shape: TokenBucketShape, pauseMs: number): Promise<TokenBucketAnswer> {
  return answer(await command(redis)(key, 'pause', shape.limit, shape.intervalMs, shape.burst, Math.max(0, Math.ceil(pauseMs))));
}

/** The bucket as of now, changing nothing. */
export async function peekBucket(redis: Redis, key: string, shape: TokenBucketShape): Promise<TokenBucketAnswer> {
  return answer(await command(redis)(key, 'peek', shape.limit, shape.intervalMs, shape.burst));
}

/** The counters the script keeps: granted tokens per priority, and pauses (429s). */
export async function bucketCounters(redis: Redis, key: string): Promise<{ granted: Record<string, number>; throttled: number }> {
  const fields = await redis.hgetall(key);
  const granted: Record<string, number> = {};
  for (const [field, value] of Object.entries(fields)) if (field.startsWith('granted:')) granted[field.slice('granted:'.length)] = Number(value);
  return { granted, throttled: Number(fields.throttled ?? 0) };
}
