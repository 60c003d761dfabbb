/**
 * Coalesces reads of the same key without ever answering from a read that began before the caller
 * asked: a caller that finds a read under way waits for the next one, which starts when that read
 * ends and is shared by everyone who arrived meanwhile. With many viewers of one chart, Postgres sees
 * about two version checks per round instead of one per request, and each answer is still as fresh
 * as the request (or, with `reuseMs`, at most that much older).
 */
const MAX_KEPT_RESULTS = 10_000;

export class NextFlight<T> {
  private readonly flights = new Map<string, { running: Promise<T>; next: Promise<T> | null }>();
  private readonly recent = new Map<string, { value: T; at: number }>();
  private readonly reuseMs: number;
  private readonly now: () => number;

  /**
   * `reuseMs`: a read that ended less than this long ago answers without a new one. Under a flood of
   * requests this bounds the reads to about one per `reuseMs` per key (they compete with the minute's
   * own Postgres work: 200 connections on the history route once took the tick's p95 from 1.5× to 2.4×
   * its idle value), at the price of answers up to that much older than the request.
   */
  constructor(options: { reuseMs?: number; now?: () => number } = {}) {
    this.reuseMs = options.reuseMs ?? 0;
    this.now = options.now ?? Date.now;
  }

  run(key: string, read: () => Promise<T>): Promise<T> {
    const kept = this.recent.get(key);
    if (kept !== undefined) {
      if (this.now() - kept.at < this.reuseMs) return Promise.resolve(kept.value);
      this.recent.delete(key);
    }
    const flight = this.flights.get(key);
    if (flight === undefined) return this.start(key, read);
    const settled = (): void => undefined;
    flight.next ??= flight.running.then(settled, settled).then(() => this.start(key, read));
    return flight.next;
  }

  /** Keys with a read under way. */
  get size(): number {
    return this.flights.size;
  }

  private start(key: string, read: () => Promise<T>): Promise<T> {
    const running = read();
    const flight = { running, next: null };
    this.flights.set(key, flight);
    if (this.reuseMs > 0) {
      running.then(
        (value) => {
          this.recent.delete(key);
          this.recent.set(key, { value, at: this.now() });
          // Keys are ranges a client chooses: the oldest go first past the bound.
          for (const oldest of this.recent.keys()) {
            if (this.recent.size <= MAX_KEPT_RESULTS) break;
            this.recent.delete(oldest);
          }
        },
        () => undefined,
      );
    }
    // Registered before any follower's continuation, so the flight is gone when the next read starts.
    const done = (): void => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    running.then(done, done);
    return running;
  }
}
