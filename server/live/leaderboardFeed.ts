/**
 * One Redis subscriber per process on the leaderboard channel; every message (the full board's
 * JSON) goes to the in-process listeners (the WebSocket clients). A board replaces the previous
 * one entirely, so a slow client can simply skip boards: it loses nothing it needs.
 */
import type { RedisClient } from '../../data/redis/client.ts';

export type BoardListener = (json: string) => void;

export class LeaderboardFeed {
  readonly #subscriber: RedisClient;
  readonly #channel: string;
  readonly #listeners = new Set<BoardListener>();
  #started: Promise<void> | null = null;

  /** `subscriber` is a connection the feed owns (a subscribed connection can do nothing else). */
  constructor(subscriber: RedisClient, channel: string) {
    this.#subscriber = subscriber;
    this.#channel = channel;
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }

  start(): Promise<void> {
    this.#started ??= (async () => {
      this.#subscriber.on('message', (channel: string, message: string) => {
        if (channel !== this.#channel) return;
        for (const listener of this.#listeners) listener(message);
      });
      if (this.#subscriber.status === 'wait') await this.#subscriber.connect();
      await this.#subscriber.subscribe(this.#channel);
    })();
    return this.#started;
  }

  subscribe(listener: BoardListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    this.#subscriber.disconnect();
    await Promise.resolve();
  }
}
