/**
 * The open SSE connections of this process, fed by the activity hub. Each batch of entries is
 * framed once and written to every client; a heartbeat comment keeps proxies from closing idle
 * connections. A client whose socket does not drain (more than `maxBufferedBytes` waiting) is
 * disconnected instead of buffering without bound: its EventSource reconnects with Last-Event-ID
 * and resumes from the stream, losing nothing.
 */
import type { ServerResponse } from 'node:http';
import type { ActivityHub } from './activityHub.ts';
import { compareStreamIds } from './streamIds.ts';
import type { StoredActivity } from './events.ts';
import { sseFrames } from './format.ts';
import { SseClients, type SseClient } from './sseClients.ts';

export interface SseBroadcasterOptions {
  hub: ActivityHub;
  /** Comment line interval; default 15,000 ms. */
  heartbeatMs?: number;
  /** Bytes waiting on one socket before the client is dropped; default 1 MiB. */
  maxBufferedBytes?: number;
}

type Client = SseClient<StoredActivity>;

export class SseBroadcaster {
  readonly #clients: SseClients<StoredActivity, Client>;
  readonly #hub: ActivityHub;
  readonly #unsubscribe: () => void;

  constructor(options: SseBroadcasterOptions) {
    this.#hub = options.hub;
    this.#clients = new SseClients({ frames: sseFrames, heartbeatMs: options.heartbeatMs, maxBufferedBytes: options.maxBufferedBytes });
    this.#unsubscribe = this.#hub.subscribe((entries) => this.#deliver(entries));
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Clients dropped for not reading fast enough (for tests and metrics). */
  get dropped(): number {
    return this.#clients.dropped;
  }

  /**
   * Adds a client whose headers were written. With `resumeAfter` (a Last-Event-ID) the entries after
   * it are read with `backlog` and written first; live entries arriving meanwhile follow, none twice.
   */
  async add(raw: ServerResponse, resumeAfter: string | null, backlog: (afterId: string) => Promise<StoredActivity[]>): Promise<void> {
    const client: Client = { raw, lastId: resumeAfter ?? this.#hub.position, pending: resumeAfter === null ? null : [] };
    await this.#clients.add(client, resumeAfter === null ? null : () => backlog(resumeAfter));
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
        this.#clients.send(client, shared);
      } else {
        this.#clients.write(client, entries);
      }
    }
  }

  /** Ends every connection (server shutdown). */
  close(): void {
    this.#unsubscribe();
    this.#clients.close();
  }
}
