/**
 * Runs at most one task per key at a time. A request while one runs queues exactly one more run
 * (a push during a sync is not lost); further requests share that queued run.
 */
export class PerKeyCoalescer<T> {
  readonly #running = new Map<string, Promise<T>>();
  readonly #queued = new Map<string, Promise<T>>();

  run(key: string, task: () => Promise<T>): Promise<T> {
    const queued = this.#queued.get(key);
    if (queued !== undefined) return queued;
    const running = this.#running.get(key);
    if (running === undefined) return this.#start(key, task);
    const next = running
      .then(
        () => undefined,
        () => undefined,
      )
      .then(() => {
        this.#queued.delete(key);
        return this.#start(key, task);
      });
    this.#queued.set(key, next);
    return next;
  }

  /** Every run started or queued now, settled. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.#running.values(), ...this.#queued.values()]);
  }

  #start(key: string, task: () => Promise<T>): Promise<T> {
    const promise = task().finally(() => {
      if (this.#running.get(key) === promise) this.#running.delete(key);
    });
    this.#running.set(key, promise);
    return promise;
  }
}

/** At most `limit` tasks at once, the rest wait in order. */
export class Semaphore {
  readonly #limit: number;
  #active = 0;
  readonly #waiting: Array<() => void> = [];

  constructor(limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('Semaphore: limit must be a positive integer');
    this.#limit = limit;
  }

  async use<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#limit) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#active++;
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      if (next !== undefined) next();
      else this.#active--;
    }
  }
}
