import type { PgPool } from '../../data/postgres/pool.ts';
import type { RedisClient } from '../../data/redis/client.ts';

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export type Probe = () => Promise<void>;

/** Runs a probe with a deadline, so a hung dependency reports as down instead of hanging the caller. */
export async function runProbe(probe: Probe, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { ok: true, latencyMs: round(performance.now() - started) };
  } catch (error) {
    return { ok: false, latencyMs: round(performance.now() - started), error: (error as Error).message || String(error) };
  } finally {
    clearTimeout(timer);
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

export const postgresProbe =
  (pool: PgPool): Probe =>
  async () => {
    await pool.query('SELECT 1');
  };

export const redisProbe =
  (redis: RedisClient): Probe =>
  async () => {
    // Not connected: say so at once instead of waiting for a reconnect attempt.
    if (redis.status !== 'ready') throw new Error(`not connected (${redis.status})`);
    await redis.ping();
  };
