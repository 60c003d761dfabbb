/**
 * The long-lived connections (SSE streams, WebSockets) one process holds, counted per client address.
 *
 * - An address may hold at most `maxPerAddress` connections: beyond that, 429.
 * - When the process holds `max`, a newcomer takes the slot of the oldest connection of the address
 *   holding the most, provided that address would still hold more than the newcomer's address after
 *   the swap; otherwise 503. So no address can crowd the others out, and a full server drifts
 *   towards equal shares instead of serving whoever came first.
 */

export interface Slot {
  /** Frees the slot; safe to call more than once. */
  readonly release: () => void;
}

export type Admission = { ok: true; slot: Slot } | { ok: false; status: 429 | 503; error: 'too_many_requests' | 'unavailable'; message: string };

interface Entry {
  address: string;
  evict: () => void;
}

export class ConnectionSlots {
  /** Per address, its connections oldest first (a Set keeps insertion order). */
  readonly #byAddress = new Map<string, Set<Entry>>();
  #size = 0;
  readonly max: number;
  readonly maxPerAddress: number;
  /** Connections closed to make room for another address (for tests and metrics). */
  evicted = 0;

  constructor(max: number, maxPerAddress: number) {
    this.max = max;
    this.maxPerAddress = maxPerAddress;
  }

  get size(): number {
    return this.#size;
  }

  countOf(address: string): number {
    return this.#byAddress.get(address)?.size ?? 0;
  }

  /** Takes a slot for `address`, or says why not. `evict` closes this connection if it must later make room. */
  admit(address: string, evict: () => void, what: string): Admission {
    const own = this.countOf(address);
    if (own >= this.maxPerAddress) {
      return { ok: false, status: 429, error: 'too_many_requests', message: `at most ${this.maxPerAddress} open ${what} per client address; close one first` };
    }
    if (this.#size >= this.max && !this.#evictForNewcomer(own)) {
      return { ok: false, status: 503, error: 'unavailable', message: `too many open ${what} on this server; retry shortly` };
    }
    const entry: Entry = { address, evict };
    this.#add(entry);
    return { ok: true, slot: { release: () => this.#remove(entry) } };
  }

  #evictForNewcomer(newcomerCount: number): boolean {
    let heaviest: Set<Entry> | undefined;
    for (const entries of this.#byAddress.values()) if (!heaviest || entries.size > heaviest.size) heaviest = entries;
    if (!heaviest || heaviest.size <= newcomerCount + 1) return false;
    const oldest = heaviest.values().next().value!;
    this.#remove(oldest);
    this.evicted += 1;
    oldest.evict();
    return true;
  }

  #add(entry: Entry): void {
    let entries = this.#byAddress.get(entry.address);
    if (!entries) this.#byAddress.set(entry.address, (entries = new Set()));
    entries.add(entry);
    this.#size += 1;
  }

  #remove(entry: Entry): void {
    const entries = this.#byAddress.get(entry.address);
    if (!entries?.delete(entry)) return;
    this.#size -= 1;
    if (entries.size === 0) this.#byAddress.delete(entry.address);
  }
}
