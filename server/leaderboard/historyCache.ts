/**
 * Answers of the team history route kept in memory, least recently used first out, within a byte
 * budget. An entry is good while its version is: the version is read from Postgres on every request
 * (cheap: a count and a max over the range's index entries) and names the rows the answer came from.
 * Snapshots are only ever inserted (a retried tick keeps the first, nothing updates or deletes them),
 * so a range whose newest minute and number of rows are unchanged holds the same rows.
 */
export class HistoryCache {
  private readonly entries = new Map<string, { version: string; body: Buffer }>();
  private bytes = 0;
  private readonly maxBytes: number;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /** The body stored for `key` if it was stored at this `version`. */
  get(key: string, version: string): Buffer | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined || entry.version !== version) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.body;
  }

  /** Stores `body` (a body larger than the whole budget is not kept), dropping the least recently used beyond the budget. */
  set(key: string, version: string, body: Buffer): void {
    this.delete(key);
    if (body.length > this.maxBytes) return;
    this.entries.set(key, { version, body });
    this.bytes += body.length;
    for (const [oldest, entry] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(oldest);
      this.bytes -= entry.body.length;
    }
  }

  get size(): { entries: number; bytes: number } {
    return { entries: this.entries.size, bytes: this.bytes };
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (entry === undefined) return;
    this.entries.delete(key);
    this.bytes -= entry.body.length;
  }
}
