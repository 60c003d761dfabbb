/**
 * Every Redis key and channel the project uses, in one place, under one prefix, so an operator
 * can see what lives in Redis and tests can share one server without collisions.
 */
const PREFIX = process.env.QTC_REDIS_PREFIX ?? 'qtc';

export const REDIS_KEYS = {
  /** Redis Stream of ActivityEvent (field `event`: JSON). */
  activityStream: `${PREFIX}:activity`,
  /** JSON of the current leaderboard, written after every tick. */
  leaderboard: `${PREFIX}:leaderboard:current`,
  /** Pub/sub channel: a message (the leaderboard JSON) after every tick, for WebSocket pushes on every replica. */
  leaderboardChannel: `${PREFIX}:leaderboard:updates`,
  /** Prefix BullMQ uses for its queues. */
  bullPrefix: `${PREFIX}:bull`,
  /** Pub/sub channels of Git sync requests relayed from API replicas to the control process (server/control/gitSyncRelay.ts). */
  gitSyncChannel: `${PREFIX}:git-sync`,
  /** Prefix of each worker's sandbox health report (JSON, expiring): `<prefix><workerId>`. */
  sandboxHealthPrefix: `${PREFIX}:sandbox-health:`,
} as const;
