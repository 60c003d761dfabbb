import { Redis, type RedisOptions } from 'ioredis';

export type RedisClient = Redis;

/**
 * A Redis connection that reconnects forever with capped back-off (a Redis restart must not
 * kill the server) and that fails commands fast instead of queueing them while disconnected.
 */
export function createRedis(url: string, overrides: RedisOptions = {}): RedisClient {
  const client = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 5_000),
    ...overrides,
  });
  return quiet(client);
}

/**
 * Errors surface through commands and the health check, so the 'error' event is ignored. ioredis does
 * not copy listeners to `duplicate()`s (the BullMQ, subscriber and stream connections), so each copy
 * gets the same listener; without it every reconnect attempt during an outage prints an
 * "Unhandled error event" stack.
 */
function quiet(client: Redis): Redis {
  client.on('error', () => undefined);
  client.duplicate = (override?: Partial<RedisOptions>) => quiet(Redis.prototype.duplicate.call(client, override) as Redis);
  return client;
}

/** Connects, proving the server answers, within `timeoutMs`. */
export async function connectRedis(client: RedisClient, timeoutMs: number): Promise<void> {
  // ioredis rejects connect() with a bare "Connection is closed"; the socket's own error says why.
  let socketError: Error | undefined;
  const remember = (error: Error) => {
    socketError = error;
  };
  client.on('error', remember);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect().then(() => client.ping()), timeout]);
  } catch (error) {
    client.disconnect();
    throw socketError ?? error;
  } finally {
    clearTimeout(timer);
    client.off('error', remember);
  }
}
