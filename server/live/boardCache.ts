/**
 * This process's copy of the current leaderboard JSON, kept fresh by the leaderboard channel, so
 * the hot `GET /leaderboard` path costs no Redis round trip and no encoding: the bytes are ready.
 * The copy is trusted only while the subscriber is connected; after a disconnect it is dropped
 * (a board published meanwhile was missed) and the next request reads Redis again.
 */
import type { RedisClient } from '../../data/redis/client.ts';
import type { LeaderboardFeed } from './leaderboardFeed.ts';

export interface CachedBoard {
  json: string;
  bytes: Buffer;
}

export class BoardCache {
  #board: CachedBoard | null = null;
  /** Bumped by every pushed board and every disconnect, so a slower Redis read never overwrites them. */
  #version = 0;
  #started: Promise<void> | null = null;
  readonly #feed: LeaderboardFeed;
  readonly #subscriber: RedisClient;
  readonly #read: () => Promise<string | null>;

  constructor(feed: LeaderboardFeed, subscriber: RedisClient, read: () => Promise<string | null>) {
    this.#feed = feed;
    this.#subscriber = subscriber;
    this.#read = read;
  }

  #start(): Promise<void> {
    this.#started ??= (async () => {
      const forget = () => {
        this.#board = null;
        this.#version += 1;
      };
      this.#subscriber.on('close', forget);
      this.#subscriber.on('reconnecting', forget);
      this.#feed.subscribe((json) => {
        this.#version += 1;
        this.#board = { json, bytes: Buffer.from(json) };
      });
      await this.#feed.start();
    })();
    return this.#started;
  }

  /** The current board, or null when none was published yet. */
  async get(): Promise<CachedBoard | null> {
    if (this.#board) return this.#board;
    // Subscribed first: a board published after the read below cannot be missed.
    await this.#start().catch(() => undefined);
    const version = this.#version;
    const json = await this.#read();
    if (json === null) return null;
    const board = { json, bytes: Buffer.from(json) };
    if (version === this.#version && this.#subscriber.status === 'ready') this.#board = board;
    return board;
  }
}
