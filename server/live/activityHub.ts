/**
 * One reader of the activity stream per process, many listeners. The hub runs a single blocking
 * XREAD loop on its own Redis connection (a blocked connection can serve nothing else) and hands
 * every new entry to the in-process listeners, so N SSE clients cost one Redis reader, and every
 * API replica, reading the same stream, delivers the same events.
 *
 * Listeners are called synchronously and must not throw; each decides for itself what to do when
 * its client is slow (the SSE route drops such a client, which then resumes with Last-Event-ID).
 */
import type { RedisClient } from '../../data/redis/client.ts';
import { decodeStreamEntry } from './activity.ts';
import type { StoredActivity } from './events.ts';

export type ActivityListener = (entries: readonly StoredActivity[]) => void;

export interface ActivityHubOptions {
  /** A connection the hub owns (it blocks on it); connected by the hub, closed by `close()`. */
  reader: RedisClient;
  /** The stream key (REDIS_KEYS.activityStream). */
  stream: string;
  /** How long one XREAD blocks before looping (ms); bounds how late `close()` is noticed. Default 5,000. */
  blockMs?: number;
  /** Entries fetched per XREAD; default 1,000. */
  batch?: number;
  onError?: (error: unknown) => void;
}

type StreamReply = Array<[key: string, entries: Array<[id: string, fields: string[]]>]> | null;

export class ActivityHub {
  readonly #options: Required<Omit<ActivityHubOptions, 'onError'>> & Pick<ActivityHubOptions, 'onError'>;
  readonly #listeners = new Set<ActivityListener>();
  #started: Promise<void> | null = null;
  #loop: Promise<void> | null = null;
  #closed = false;
  /** Id of the newest entry handed to listeners (or seen when the hub started). */
  #position = '0-0';

  constructor(options: ActivityHubOptions) {
    this.#options = { blockMs: 5_000, batch: 1_000, ...options };
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** The id of the newest entry the hub has delivered; everything after it will reach listeners. */
  get position(): string {
    return this.#position;
  }

  /** Connects and starts the loop (once); resolves when listeners will get every later entry. */
  start(): Promise<void> {
    this.#started ??= this.#start();
    return this.#started;
  }

  async #start(): Promise<void> {
    const reader = this.#options.reader;
    if (reader.status === 'wait') await reader.connect();
    const newest = (await reader.xrevrange(this.#options.stream, '+', '-', 'COUNT', 1)) as Array<[string, string[]]>;
    this.#position = newest[0]?.[0] ?? '0-0';
    this.#loop = this.#run();
  }

  subscribe(listener: ActivityListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #run(): Promise<void> {
    const { reader, stream, blockMs, batch } = this.#options;
    while (!this.#closed) {
      try {
        const reply: StreamReply = await reader.xread('COUNT', batch, 'BLOCK', blockMs, 'STREAMS', stream, this.#position);
        const raw = reply?.[0]?.[1] ?? [];
        if (raw.length === 0) continue;
        this.#position = raw[raw.length - 1]![0];
        const entries = raw.map(decodeStreamEntry).filter((entry): entry is StoredActivity => entry !== null);
        for (const listener of this.#listeners) listener(entries);
      } catch (error) {
        if (this.#closed) return;
        this.#options.onError?.(error);
        // The connection reconnects by itself; wait a little rather than spin on a dead server.
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    // A blocked XREAD only ends when its connection does.
    this.#options.reader.disconnect();
    await this.#loop?.catch(() => undefined);
  }
}

/** Entries after `afterId` (exclusive) up to the newest, at most `limit`, oldest first. */
export async function readActivitySince(redis: RedisClient, stream: string, afterId: string, limit: number): Promise<StoredActivity[]> {
  const raw = (await redis.xrange(stream, `(${afterId}`, '+', 'COUNT', limit)) as Array<[string, string[]]>;
  return raw.map(decodeStreamEntry).filter((entry): entry is StoredActivity => entry !== null);
}

/** The newest `limit` entries, oldest first. */
export async function readRecentActivity(redis: RedisClient, stream: string, limit: number): Promise<StoredActivity[]> {
  const raw = (await redis.xrevrange(stream, '+', '-', 'COUNT', limit)) as Array<[string, string[]]>;
  return raw
    .reverse()
    .map(decodeStreamEntry)
    .filter((entry): entry is StoredActivity => entry !== null);
}
