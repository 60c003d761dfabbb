// Counts, per team, the sandbox process deaths it was implicated in within a sliding window.

export class CrashLedger {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #crashes = new Map<string, number[]>();

  constructor(limit: number, windowMs: number) {
    this.#limit = limit;
    this.#windowMs = windowMs;
  }

  /** Records a death; returns how many fall within the window and whether the limit is reached. */
  record(teamId: string, at: number): { count: number; limitReached: boolean } {
    const recent = this.#recent(teamId, at);
    recent.push(at);
    this.#crashes.set(teamId, recent);
    return { count: recent.length, limitReached: recent.length >= this.#limit };
  }

  count(teamId: string, now: number): number {
    return this.#recent(teamId, now).length;
  }

  clear(teamId: string): void {
    this.#crashes.delete(teamId);
  }

  #recent(teamId: string, now: number): number[] {
    return (this.#crashes.get(teamId) ?? []).filter((at) => now - at < this.#windowMs);
  }
}
