/**
 * Every Redis key and channel the project uses, in one place, under one prefix, so an operator
 * can see what lives in Redis and several competitions (or tests) can share one server without
 * collisions. QTC_REDIS_PREFIX (default `qtc`; empty counts as unset) is read here, at import,
 * because every process of a competition must use the same keys from its first statement on.
 */
const PREFIX = redisPrefixFrom(process.env.QTC_REDIS_PREFIX);

/** The prefix as QTC_REDIS_PREFIX gives it; throws a one-line reason for one Redis would mangle. */
export function redisPrefixFrom(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === '') return 'qtc';
  const prefix = raw.trim();
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(prefix)) throw new Error(`invalid configuration: QTC_REDIS_PREFIX must be 1-64 letters, digits, '_', '.' or '-' (got ${JSON.stringify(raw)})`);
  return prefix;
}

/** The prefix in force (BullMQ queues and the Alpaca request budget use it too). */
export const REDIS_PREFIX = PREFIX;

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
  /** Pub/sub channels of registry reloads asked by any process of the control process, which reads the file (server/control/registryRelay.ts). */
  registryChannel: `${PREFIX}:registry`,
  /** Prefix of each worker's sandbox health report (JSON, expiring): `<prefix><workerId>`. */
  sandboxHealthPrefix: `${PREFIX}:sandbox-health:`,
} as const;
