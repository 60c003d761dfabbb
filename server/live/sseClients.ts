/**
 * The open SSE connections of one stream: writing, heartbeats, dropping a client that does not read,
 * and the resume handshake (a client's missed events first, then the live ones that arrived
 * meanwhile, none twice). The public activity stream and the teams' own streams differ only in
 * which events each client gets and how they are framed.
 */
import type { ServerResponse } from 'node:http';
import { compareStreamIds } from './streamIds.ts';
import { SSE_HEARTBEAT } from './format.ts';
import { writeOrDrop } from './sseWrite.ts';

export interface StreamEvent {
  id: string;
}

export interface SseClient<E extends StreamEvent> {
  raw: ServerResponse;
  /** Newest id written to this client; older events (from a resume's overlap) are skipped. */
  lastId: string;
  /** While the backlog of a resume is read, live events wait here. */
  pending: E[] | null;
}

export interface SseClientsOptions<E extends StreamEvent> {
  frames: (events: readonly E[]) => string;
  /** Comment line interval; default 15,000 ms. */
  heartbeatMs?: number;
  /** Bytes waiting on one socket before the client is dropped; default 1 MiB. */
  maxBufferedBytes?: number;
}

export class SseClients<E extends StreamEvent, C extends SseClient<E>> {
  readonly #clients = new Set<C>();
  readonly #frames: (events: readonly E[]) => string;
  readonly #maxBuffered: number;
  readonly #heartbeat: NodeJS.Timeout;
  /** Clients dropped for not reading fast enough (for tests and metrics). */
  dropped = 0;

  constructor(options: SseClientsOptions<E>) {
    this.#frames = options.frames;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.#heartbeat = setInterval(() => {
      for (const client of this.#clients) if (!client.pending) this.send(client, SSE_HEARTBEAT);
    }, options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
  }

  get size(): number {
    return this.#clients.size;
  }

  [Symbol.iterator](): IterableIterator<C> {
    return this.#clients.values();
  }

  /**
   * Adds a client whose headers were written. With `missed` (a resume) the events it returns are
   * written first; live events arriving meanwhile wait in `pending` and follow, none twice.
   */
  async add(client: C, missed: (() => Promise<readonly E[]>) | null): Promise<void> {
    this.#clients.add(client);
    client.raw.on('close', () => this.#clients.delete(client));
    if (missed === null) return;
    try {
      this.write(client, await missed());
      const pending = client.pending ?? [];
      client.pending = null;
      this.write(client, pending);
    } catch (error) {
      this.#clients.delete(client);
      client.raw.destroy();
      throw error;
    }
  }

  /** Writes the events newer than what the client has seen. */
  write(client: C, events: readonly E[]): void {
    const fresh = events.filter((entry) => compareStreamIds(entry.id, client.lastId) > 0);
    if (fresh.length === 0) return;
    client.lastId = fresh[fresh.length - 1]!.id;
    this.send(client, this.#frames(fresh));
  }

  /** Writes framed text; a client whose socket does not drain is dropped (it resumes with Last-Event-ID). */
  send(client: C, text: string): void {
    const outcome = writeOrDrop(client.raw, text, this.#maxBuffered);
    if (outcome === 'sent') return;
    this.#clients.delete(client);
    if (outcome === 'too-slow') this.dropped += 1;
  }

  /** Ends every connection (server shutdown). */
  close(): void {
    clearInterval(this.#heartbeat);
    for (const client of this.#clients) client.raw.end();
    this.#clients.clear();
  }
}
