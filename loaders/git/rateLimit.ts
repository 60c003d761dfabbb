/** At most `max` events per key in any fixed window of `windowMs`; pure apart from the clock it is given. */
export class FixedWindowLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(max: number, windowMs: number) {
    this.#max = max;
    this.#windowMs = windowMs;
  }

  /** Counts the event; false when the key is over its limit. `retryAfterMs` says when it may try again. */
  take(key: string, now: number): { allowed: boolean; retryAfterMs: number } {
    let window = this.#windows.get(key);
    if (window === undefined || now - window.start >= this.#windowMs) {
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
      // Old windows are dropped as we go, so the map stays as small as the set of active keys.
      if (this.#windows.size > 10_000) for (const [other, w] of this.#windows) if (now - w.start >= this.#windowMs) this.#windows.delete(other);
    }
    const retryAfterMs = window.start + this.#windowMs - now;
    if (window.count >= this.#max) return { allowed: false, retryAfterMs };
    window.count++;
    return { allowed: true, retryAfterMs: 0 };
  }
}
