// The bar history of a pool, kept as numbered minutes so that an isolate that missed minutes
// (freshly created, restarted, or not run for a while) can be brought up to date with exactly
// the minutes it has not seen yet.
import type { MinuteEntry } from './protocol.ts';

/** Anything numbered like a MinuteEntry: [seq, minute, ...]. */
type Numbered = readonly [number, number, ...unknown[]];

export class MinuteHistory<Entry extends Numbered = MinuteEntry> {
  readonly #capacity: number;
  #entries: Entry[] = [];

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get lastSeq(): number {
    return this.#entries.at(-1)?.[0] ?? 0;
  }

  get lastMinute(): number {
    return this.#entries.at(-1)?.[1] ?? 0;
  }

  /** Appends an entry unless it is already known (a replayed run after a child restart). */
  append(entry: Entry): void {
    if (entry[0] <= this.lastSeq) return;
    this.#entries.push(entry);
    // Trim in chunks so appending stays amortised O(1).
    if (this.#entries.length > this.#capacity + 64) this.#entries = this.#entries.slice(-this.#capacity);
  }

  /** Entries with seq greater than `seq`, at most the last `capacity` of them, oldest first. */
  since(seq: number): Entry[] {
    const out: Entry[] = [];
    const first = Math.max(0, this.#entries.length - this.#capacity);
    for (let i = this.#entries.length - 1; i >= first; i--) {
      const entry = this.#entries[i];
      if (entry === undefined || entry[0] <= seq) break;
      out.push(entry);
    }
    return out.reverse();
  }

  all(): Entry[] {
    return this.since(0);
  }
}
