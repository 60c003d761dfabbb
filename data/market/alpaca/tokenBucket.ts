/**
 * A token bucket that queues: every caller gets its turn in arrival order, nobody is dropped.
 *
 * Alpaca allows 200 requests per minute per account, and the whole competition shares one account,
 * so one bucket instance must be shared by every caller (all teams' orders, the stream catch-up,
 * market data on the same key). The refill rate is `(limit - burst) / intervalMs`, which bounds the
 * requests in ANY window of `intervalMs` by `burst + (limit - burst) = limit`; a plain bucket of
 * capacity `limit` refilled at `limit / interval` would allow up to twice the limit in a rolling
 * minute and trip Alpaca's own 429s.
 */
export interface TokenBucketOptions {
  /** Most requests in any window of `intervalMs` (Alpaca: 200 per 60,000 ms). */
  limit: number;
  intervalMs: number;
  /** Requests that may go at once after a quiet period; the rest is spread evenly. Default: a tenth of `limit`, at least 1. */
  burst?: number;
  /** Injected clock (tests). */
  now?: () => number;
}

interface Waiter {
  resolve: () => void;
  reject: (reason: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

export interface TokenBucketStats {
  /** Permits handed out since creation. */
  granted: number;
  /** Callers queued right now. */
  waiting: number;
  /** Permits that had to wait for a token. */
  delayed: number;
}

export class TokenBucket {
  readonly limit: number;
  readonly intervalMs: number;
  readonly burst: number;
  readonly #refillPerMs: number;
  readonly #now: () => number;
  #tokens: number;
  #refilledAt: number;
  readonly #queue: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;
  #granted = 0;
  #delayed = 0;

  constructor(options: TokenBucketOptions) {
    const { limit, intervalMs } = options;
    if (!Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be a positive integer, got ${String(limit)}`);
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new RangeError(`intervalMs must be positive, got ${String(intervalMs)}`);
    const burst = options.burst ?? Math.max(1, Math.floor(limit / 10));
    if (!Number.isSafeInteger(burst) || burst < 1 || burst > limit) {
      throw new RangeError(`burst must be an integer from 1 to limit (${String(limit)}), got ${String(burst)}`);
    }
    this.limit = limit;
    this.intervalMs = intervalMs;
    this.burst = burst;
    // With burst === limit nothing may refill inside the window; one token per interval keeps it live.
    this.#refillPerMs = burst === limit ? limit / intervalMs / limit : (limit - burst) / intervalMs;
    this.#now = options.now ?? Date.now;
    this.#tokens = burst;
    this.#refilledAt = this.#now();
  }

  /** Resolves when the caller may send one request. Rejects only if `signal` aborts while queued. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error('rate-limit wait aborted', { cause: signal.reason }));
    this.#refill();
    if (this.#queue.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      this.#granted += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal, onAbort: undefined };
      if (signal !== undefined) {
        waiter.onAbort = () => {
          const index = this.#queue.indexOf(waiter);
          if (index >= 0) this.#queue.splice(index, 1);
          reject(signal.reason instanceof Error ? signal.reason : new Error('rate-limit wait aborted', { cause: signal.reason }));
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      this.#schedule();
    });
  }

  stats(): TokenBucketStats {
    return { granted: this.#granted, waiting: this.#queue.length, delayed: this.#delayed };
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = Math.max(0, now - this.#refilledAt);
    this.#tokens = Math.min(this.burst, this.#tokens + elapsed * this.#refillPerMs);
    this.#refilledAt = now;
  }

  #drain(): void {
    this.#timer = undefined;
    this.#refill();
    while (this.#queue.length > 0 && this.#tokens >= 1) {
      const waiter = this.#queue.shift() as Waiter;
      this.#tokens -= 1;
      this.#granted += 1;
      this.#delayed += 1;
      if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve();
    }
    this.#schedule();
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#queue.length === 0) return;
    const waitMs = Math.max(1, Math.ceil((1 - this.#tokens) / this.#refillPerMs));
    this.#timer = setTimeout(() => this.#drain(), waitMs);
  }
}
