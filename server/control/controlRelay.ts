/**
 * Requests from any process to the control process, over Redis pub/sub. Some work runs in that one
 * process only (the Git sync, reading team_registry.yaml); behind a load balancer the HTTP request
 * asking for it lands on any replica, which relays it here. A request that waits for an answer
 * carries an id, and the answer comes back on a reply channel of its own.
 *
 * Everything read from a channel is data: a message that does not parse into a request is ignored.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { RedisClient } from '../../data/redis/client.ts';

/** No control process listens, Redis cannot be reached, or the answer did not come in time. */
export class ControlUnavailableError extends Error {
  override name = 'ControlUnavailableError';
}

const requestsOf = (channel: string) => `${channel}:requests`;
const replyOf = (channel: string, id: string) => `${channel}:reply:${id}`;
const ID = /^[0-9a-f-]{36}$/;

/** A lazily connecting client (createRedis, duplicate) is connected before it subscribes. */
async function connected(client: RedisClient): Promise<void> {
  if (client.status === 'wait') await client.connect();
}

export interface ServeOptions<Request> {
  redis: RedisClient;
  /** A connection of its own (it enters subscriber mode). */
  subscriber: RedisClient;
  log: Logger;
  channel: string;
  /** What the requests are about, for the log. */
  what: string;
  /** The request in a parsed message (its `id` already checked), or undefined for a malformed one. */
  parse: (fields: Record<string, unknown>) => Request | undefined;
  /** Runs a request; for one with an id, the promise's value (JSON) is sent back as the answer. */
  handle: (request: Request, answered: boolean) => Promise<unknown> | void;
}

/** In the control process: takes the requests sent on `channel` until the returned function is called. */
export async function serveControlRequests<Request>(options: ServeOptions<Request>): Promise<() => Promise<void>> {
  const { redis, subscriber, log, channel } = options;
  const requests = requestsOf(channel);
  subscriber.on('message', (from: string, text: string) => {
    if (from !== requests) return;
    const message = parseMessage(text);
    const request = message === undefined ? undefined : options.parse(message.fields);
    if (message === undefined || request === undefined) return log.warn({ channel: from }, `ignored a malformed ${options.what} request`);
    const id = message.id;
    let reply: Promise<unknown> | void;
    try {
      reply = options.handle(request, id !== undefined);
    } catch (error) {
      // Thrown from an event handler it would end the process: a request must not take it down.
      return log.error({ err: error }, `a ${options.what} request failed`);
    }
    if (id === undefined || reply === undefined) return;
    void reply
      .then((answer) => redis.publish(replyOf(channel, id), JSON.stringify(answer)))
      .catch((error: unknown) => log.error({ err: error }, `could not answer a ${options.what} request`));
  });
  await connected(subscriber);
  await subscriber.subscribe(requests); // ioredis subscribes again by itself after a reconnect
  return async () => {
    await subscriber.unsubscribe(requests).catch(() => undefined);
    subscriber.disconnect();
  };
}

function parseMessage(text: string): { id: string | undefined; fields: Record<string, unknown> } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { id, ...fields } = value as Record<string, unknown>;
  if (id !== undefined && (typeof id !== 'string' || !ID.test(id))) return undefined;
  return { id, fields };
}

/** Sends a request without waiting for anything; resolves to the number of control processes that got it (0: none listens). */
export function tellControl(redis: RedisClient, channel: string, fields: Record<string, unknown>): Promise<number> {
  return redis.publish(requestsOf(channel), JSON.stringify(fields));
}

export interface AskOptions {
  redis: RedisClient;
  /** A new connection for the reply channel, disconnected afterwards. */
  openSubscriber: () => RedisClient;
  channel: string;
  fields: Record<string, unknown>;
  timeoutMs: number;
  /** What the control process does for the request, e.g. "the Git sync", in the errors. */
  who: string;
}

/** Sends a request and resolves to the control process's answer (parsed JSON, for the caller to check). */
export async function askControl(options: AskOptions): Promise<unknown> {
  const { redis, channel, timeoutMs, who } = options;
  const id = randomUUID();
  const subscriber = options.openSubscriber();
  try {
    const answered = new Promise<unknown>((resolve) =>
      subscriber.on('message', (from: string, text: string) => {
        if (from !== replyOf(channel, id)) return;
        try {
          resolve(JSON.parse(text));
        } catch {
          resolve(undefined);
        }
      }),
    );
    try {
      await connected(subscriber);
      await subscriber.subscribe(replyOf(channel, id));
    } catch (error) {
      throw new ControlUnavailableError(`cannot reach Redis to relay the request: ${(error as Error).message}`);
    }
    const receivers = await redis.publish(requestsOf(channel), JSON.stringify({ ...options.fields, id })).catch((error: unknown) => {
      throw new ControlUnavailableError(`cannot reach Redis to relay the request: ${(error as Error).message}`);
    });
    if (receivers === 0) throw new ControlUnavailableError(`nothing answers for ${who}: the control process (qtc all or qtc control) is not running`);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ControlUnavailableError(`${who} did not answer within ${String(timeoutMs / 1000)} s`)), timeoutMs);
    });
    return await Promise.race([answered, timedOut]).finally(() => clearTimeout(timer));
  } finally {
    subscriber.disconnect();
  }
}
