/**
 * Git webhook deliveries already accepted, so a replayed request is refused. GitHub and Gitea name
 * each delivery (X-GitHub-Delivery / X-Gitea-Delivery), but that header is not signed: a replay under
 * a made-up id still carries the original body and signature. So a delivery is remembered by both,
 * for a day (Git hosts retry or redeliver within hours, and the signature covers the whole payload).
 */
import type { RedisClient } from '../../data/redis/client.ts';

export const DELIVERY_MEMORY_MS = 24 * 60 * 60_000;

export interface DeliveryLog {
  /** Remembers every mark; true when none was seen before. */
  firstSeen(marks: readonly string[]): Promise<boolean>;
}

/** Shared by every replica: SET NX with an expiry per mark. */
export function redisDeliveryLog(redis: RedisClient, prefix: string, ttlMs = DELIVERY_MEMORY_MS): DeliveryLog {
  return {
    async firstSeen(marks) {
      const answers = await Promise.all(marks.map((mark) => redis.set(`${prefix}${mark}`, '1', 'PX', ttlMs, 'NX')));
      return answers.every((answer) => answer === 'OK');
    },
  };
}

/** For an app without Redis (tests, a single process): the same rule in memory. */
export function memoryDeliveryLog(ttlMs = DELIVERY_MEMORY_MS, now: () => number = Date.now): DeliveryLog {
  // Insertion order is expiry order (one TTL for all), so expired marks are at the front.
  const expiries = new Map<string, number>();
  return {
    firstSeen(marks) {
      const at = now();
      for (const [mark, expiry] of expiries) {
        if (expiry > at) break;
        expiries.delete(mark);
      }
      let fresh = true;
      for (const mark of marks) {
        if (expiries.has(mark)) fresh = false;
        else expiries.set(mark, at + ttlMs);
      }
      return Promise.resolve(fresh);
    },
  };
}
