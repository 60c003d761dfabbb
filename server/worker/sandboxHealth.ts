// Each worker reports the health of its sandboxes (child processes with their memory, teams per
// process, quarantines with their reasons) to Redis every few seconds under a key that expires, so
// the admin console can show every live worker's sandboxes and a dead worker drops out by itself.
import type { Logger } from 'pino';
import type { RedisClient } from '../../data/redis/client.ts';
import type { ShardHealth, ShardPools } from '../tick/shardPools.ts';

export interface SandboxHealthReport {
  workerId: string;
  /** Epoch ms of the report. */
  at: number;
  shards: ShardHealth[];
}

export function startSandboxHealthReporter(options: {
  redis: RedisClient;
  keyPrefix: string;
  workerId: string;
  pools: ShardPools;
  intervalMs: number;
  log: Logger;
}): () => Promise<void> {
  const key = `${options.keyPrefix}${options.workerId}`;
  const report = async (): Promise<void> => {
    const body: SandboxHealthReport = { workerId: options.workerId, at: Date.now(), shards: await options.pools.health() };
    await options.redis.set(key, JSON.stringify(body), 'PX', options.intervalMs * 3);
  };
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    // A report failing (Redis away) is retried at the next interval; it never stops the worker.
    running = report().catch((error: unknown) => options.log.debug({ err: error }, 'sandbox health report failed'));
  }, options.intervalMs);
  timer.unref();
  running = report().catch(() => undefined);
  return async () => {
    clearInterval(timer);
    await running;
    await options.redis.del(key).catch(() => undefined);
  };
}

/** Every live worker's latest report (admin route). */
export async function readSandboxHealth(redis: RedisClient, keyPrefix: string): Promise<SandboxHealthReport[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 200);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0' && keys.length < 1000);
  if (keys.length === 0) return [];
  const values = await redis.mget(...keys);
  return values.flatMap((value) => (value === null ? [] : [JSON.parse(value) as SandboxHealthReport])).sort((a, b) => a.workerId.localeCompare(b.workerId));
}
