/**
 * Failed authentications per client address, counted in Redis so every replica shares them.
 *
 * Rate limits count per key, so guessing keys (each guess a different key) was never limited. Here
 * every 401 counts against the address it came from; after `maxFailures` within a minute the address
 * is blocked: routes that authenticate (those documenting a 401) answer 429 with Retry-After before
 * any key is looked up. Each new block of the same address within the hour lasts twice as long as the
 * previous one (1, 2, 4, 8 minutes, at most 15).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RedisClient } from '../../../data/redis/client.ts';

export interface AuthFailureGuardOptions {
  redis: RedisClient;
  /** Prefix of the Redis keys. */
  prefix: string;
  /** Failures per window that block the address; default 20. */
  maxFailures?: number;
  /** Default one minute: the counting window and the first block. */
  windowMs?: number;
  /** Longest block; default 15 minutes. */
  maxBlockMs?: number;
}

const STRIKE_MEMORY_MS = 60 * 60_000;

/**
 * KEYS: failures, strikes, blocked. ARGV: maxFailures, windowMs, maxBlockMs, strikeMemoryMs.
 * One script, so concurrent failures from many replicas block exactly once per threshold.
 */
const RECORD_FAILURE = `
local failures = redis.call('INCR', KEYS[1])
if failures == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if failures == tonumber(ARGV[1]) then
  local strikes = redis.call('INCR', KEYS[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[4])
  local blockMs = math.min(tonumber(ARGV[2]) * 2 ^ (strikes - 1), tonumber(ARGV[3]))
  redis.call('SET', KEYS[3], '1', 'PX', math.floor(blockMs))
  redis.call('DEL', KEYS[1])
end
return failures
`;

/** Routes that look a key or signature up document their 401 answer. */
function authenticates(request: FastifyRequest): boolean {
  const responses = request.routeOptions.schema?.response as Record<string, unknown> | undefined;
  return responses?.['401'] !== undefined;
}

export function installAuthFailureGuard(app: FastifyInstance, options: AuthFailureGuardOptions): void {
  const { redis, prefix } = options;
  const maxFailures = options.maxFailures ?? 20;
  const windowMs = options.windowMs ?? 60_000;
  const maxBlockMs = options.maxBlockMs ?? 15 * 60_000;
  const keysOf = (address: string) => [`${prefix}auth-failures:${address}`, `${prefix}auth-strikes:${address}`, `${prefix}auth-blocked:${address}`] as const;

  app.addHook('onRequest', async (request, reply) => {
    if (!authenticates(request)) return;
    // A Redis outage must not take the API down with it: the guard lets requests through meanwhile.
    const blockedMs = await redis.pttl(keysOf(request.ip)[2]).catch(() => -2);
    if (blockedMs <= 0) return;
    const seconds = Math.ceil(blockedMs / 1000);
    return reply
      .code(429)
      .header('retry-after', String(seconds))
      .send({ error: 'too_many_requests', message: `too many failed authentications from this address; retry in ${seconds} s` });
  });

  // onSend, not onResponse: the failure is counted before the client sees its answer, so its next request meets the block.
  app.addHook('onSend', async (request, reply, payload) => {
    if (reply.statusCode === 401) {
      await redis.eval(RECORD_FAILURE, 3, ...keysOf(request.ip), maxFailures, windowMs, maxBlockMs, STRIKE_MEMORY_MS).catch(() => undefined);
    }
    return payload;
  });
}
