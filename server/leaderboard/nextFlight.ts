/**
 * Coalesces reads of the same key without ever answering from a read that began before the caller
 * asked: a caller that finds a read under way waits for the next one, which starts when that read
 * ends and is shared by everyone who arrived meanwhile. With many viewers of one chart, Postgres sees
 * about two version checks per round instead of one per request, and each answer is still as fresh
 * as the request.
 */
export class NextFlight<T> {
  private readonly flights = new Map<string, { running: Promise<T>; next: Promise<T> | null }>();

  run(key: string, read: () => Promise<T>): Promise<T> {
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
    // Registered before any follower's continuation, so the flight is gone when the next read starts.
    const done = (): void => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    };
    running.then(done, done);
    return running;
  }
}
