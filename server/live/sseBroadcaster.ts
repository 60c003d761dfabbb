/**
 * The open SSE connections of this process, fed by the activity hub. Each batch of entries is
 * framed once and written to every client; a heartbeat comment keeps proxies from closing idle
 * connections. A client whose socket does not drain (more than `maxBufferedBytes` waiting) is
 * disconnected instead of buffering without bound: its EventSource reconnects with Last-Event-ID
 * and resumes from the stream, losing nothing.
 */
import type { ServerResponse } from 'node:http';
import type { ActivityHub } from './activityHub.ts';
import { compareStreamIds } from './activityHub.ts';
import type { StoredActivity } from './events.ts';
import { SSE_HEARTBEAT, sseFrames } from './format.ts';
import { writeOrDrop } from './sseWrite.ts';

export interface SseBroadcasterOptions {
  hub: ActivityHub;
  /** Comment line interval; default 15,000 ms. */
  heartbeatMs?: number;
  /** Bytes waiting on one socket before the client is dropped; default 1 MiB. */
  maxBufferedBytes?: number;
}

interface Client {
  raw: ServerResponse;
  /** Newest id written to this client; older entries (from a resume's overlap) are skipped. */
  lastId: string;
  /** While the backlog of a resume is read, live entries wait here. */
  pending: StoredActivity[] | null;
}

export class SseBroadcaster {
  readonly #clients = new Set<Client>();
  readonly #hub: ActivityHub;
  readonly #maxBuffered: number;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  /** Clients dropped for not reading fast enough (for tests and metrics). */
  dropped = 0;

  constructor(options: SseBroadcasterOptions) {
    this.#hub = options.hub;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.#heartbeat = setInterval(() => this.#writeAll(SSE_HEARTBEAT), options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
    this.#unsubscribe = this.#hub.subscribe((entries) => this.#deliver(entries));
  }

  get size(): number {
    return this.#clients.size;
  }

  /**
   * Adds a client whose headers were written. With `resumeAfter` (a Last-Event-ID) the entries after
   * it are read with `backlog` and written first; live entries arriving meanwhile follow, none twice.
   */
  async add(raw: ServerResponse, resumeAfter: string | null, backlog: (afterId: string) => Promise<StoredActivity[]>): Promise<void> {
    const client: Client = { raw, lastId: resumeAfter ?? this.#hub.position, pending: resumeAfter === null ? null : [] };
    this.#clients.add(client);
    raw.on('close', () => this.#clients.delete(client));
    if (resumeAfter === null) return;
    try {
      const missed = await backlog(resumeAfter);
      this.#write(client, missed);
      const pending = client.pending ?? [];
      client.pending = null;
      this.#write(client, pending);
    } catch (error) {
      this.#clients.delete(client);
      raw.destroy();
      throw error;
    }
  }

  #deliver(entries: readonly StoredActivity[]): void {
    if (entries.length === 0) return;
    let shared: string | null = null;
    for (const client of this.#clients) {
      if (client.pending) {
        client.pending.push(...entries);
        continue;
      }
      // Usually every client is at the hub's position: frame the batch once for all of them.
      if (compareStreamIds(entries[0]!.id, client.lastId) > 0) {
        shared ??= sseFrames(entries);
        client.lastId = entries[entries.length - 1]!.id;
        this.#send(client, shared);
      } else {
        this.#write(client, entries);
      }
    }
  }

  #write(client: Client, entries: readonly StoredActivity[]): void {
    const fresh = entries.filter((entry) => compareStreamIds(entry.id, client.lastId) > 0);
    if (fresh.length === 0) return;
    client.lastId = fresh[fresh.length - 1]!.id;
    this.#send(client, sseFrames(fresh));
  }

  #send(client: Client, text: string): void {
    const outcome = writeOrDrop(client.raw, text, this.#maxBuffered);
    if (outcome === 'sent') return;
    this.#clients.delete(client);
    if (outcome === 'too-slow') this.dropped += 1;
  }

  #writeAll(text: string): void {
    for (const client of this.#clients) if (!client.pending) this.#send(client, text);
  }

  /** Ends every connection (server shutdown). */
  close(): void {
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    for (const client of this.#clients) client.raw.end();
    this.#clients.clear();
  }
}
