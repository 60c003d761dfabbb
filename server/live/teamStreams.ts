/**
 * Every team's own live stream on this process: the team's trades, rejected orders, strategy errors,
 * version and halt events (from the activity hub, filtered by team, plus the competition's halts),
 * and after every minute a `minute` event with its equity, CPU time, error and console output (read
 * from Postgres when the minute's `tick` event passes). Event ids are activity stream ids (a minute
 * takes its tick's id), so a client resumes with Last-Event-ID from its team's history.
 *
 * Batches are handled one at a time, in order, so a client never sees ids go backwards while a
 * minute is read from Postgres. A client that does not read is dropped, as on the public stream.
 */
import type { ServerResponse } from 'node:http';
import type { ActivityHub } from './activityHub.ts';
import { compareStreamIds } from './activityHub.ts';
import { COMPETITION_TYPES, type StoredActivity, type StoredTeamEvent, type TeamMinuteEvent } from './events.ts';
import { SSE_HEARTBEAT, teamSseFrames } from './format.ts';
import { writeOrDrop } from './sseWrite.ts';

export interface TeamStreamsOptions {
  hub: ActivityHub;
  /** The `minute` events of these teams for these minutes. */
  loadMinutes: (teamIds: readonly string[], minutes: readonly number[]) => Promise<TeamMinuteEvent[]>;
  /** A team's stored events after an id, oldest first, tick events included (for its minutes). */
  backlog: (teamId: string, afterId: string) => Promise<StoredActivity[]>;
  heartbeatMs?: number;
  maxBufferedBytes?: number;
  /** Tick events of a resume whose minutes are read back (the newest ones); default 120. */
  maxResumeMinutes?: number;
  onError?: (error: unknown) => void;
}

interface Client {
  raw: ServerResponse;
  teamId: string;
  lastId: string;
  /** While a resume's backlog is read, live events wait here. */
  pending: StoredTeamEvent[] | null;
}

const competitionWide = new Set<string>(COMPETITION_TYPES);

function concerns(entry: StoredActivity, teamId: string): boolean {
  const event = entry.event;
  return ('teamId' in event && event.teamId === teamId) || competitionWide.has(event.type);
}

export class TeamStreams {
  readonly #clients = new Set<Client>();
  readonly #options: TeamStreamsOptions;
  readonly #maxBuffered: number;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #unsubscribe: () => void;
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;
  /** Clients dropped for not reading fast enough. */
  dropped = 0;

  constructor(options: TeamStreamsOptions) {
    this.#options = options;
    this.#maxBuffered = options.maxBufferedBytes ?? 1024 * 1024;
    this.#heartbeat = setInterval(() => {
      for (const client of this.#clients) if (!client.pending) this.#send(client, SSE_HEARTBEAT);
    }, options.heartbeatMs ?? 15_000);
    this.#heartbeat.unref();
    this.#unsubscribe = options.hub.subscribe((entries) => this.#enqueue(entries));
  }

  get size(): number {
    return this.#clients.size;
  }

  #enqueue(entries: readonly StoredActivity[]): void {
    if (this.#clients.size === 0 || entries.length === 0) return;
    // A Postgres that stalls must not queue batches without bound: past 100 waiting, minutes are skipped.
    const withMinutes = this.#queued < 100;
    this.#queued += 1;
    this.#chain = this.#chain
      .then(() => this.#process(entries, withMinutes))
      .catch((error: unknown) => this.#options.onError?.(error))
      .finally(() => {
        this.#queued -= 1;
      });
  }

  /** The events of `entries` for each team, minutes included (in id order). */
  async #eventsByTeam(entries: readonly StoredActivity[], teamIds: ReadonlySet<string>, withMinutes: boolean): Promise<Map<string, StoredTeamEvent[]>> {
    const ticks = entries.filter((entry) => entry.event.type === 'tick');
    const minutes = new Map<string, TeamMinuteEvent>();
    if (withMinutes && ticks.length > 0) {
      const loaded = await this.#options.loadMinutes(
        [...teamIds],
        ticks.map((entry) => (entry.event.type === 'tick' ? entry.event.minute : 0)),
      );
      for (const minute of loaded) minutes.set(`${minute.teamId}\n${minute.minute}`, minute);
    }
    const byTeam = new Map<string, StoredTeamEvent[]>();
    for (const teamId of teamIds) {
      const events: StoredTeamEvent[] = [];
      for (const entry of entries) {
        if (entry.event.type === 'tick') {
          const minute = minutes.get(`${teamId}\n${entry.event.minute}`);
          if (minute) events.push({ id: entry.id, event: minute });
        } else if (concerns(entry, teamId)) {
          events.push(entry);
        }
      }
      byTeam.set(teamId, events);
    }
    return byTeam;
  }

  async #process(entries: readonly StoredActivity[], withMinutes: boolean): Promise<void> {
    const teamIds = new Set([...this.#clients].map((client) => client.teamId));
    if (teamIds.size === 0) return;
    const byTeam = await this.#eventsByTeam(entries, teamIds, withMinutes);
    for (const client of this.#clients) {
      const events = byTeam.get(client.teamId) ?? [];
      if (client.pending) client.pending.push(...events);
      else this.#write(client, events);
    }
  }

  /**
   * Adds a client whose headers were written. With `resumeAfter` (a Last-Event-ID) the team's events
   * after it are read and written first; live events arriving meanwhile follow, none twice.
   */
  async add(raw: ServerResponse, teamId: string, resumeAfter: string | null): Promise<void> {
    const client: Client = { raw, teamId, lastId: resumeAfter ?? this.#options.hub.position, pending: resumeAfter === null ? null : [] };
    this.#clients.add(client);
    raw.on('close', () => this.#clients.delete(client));
    if (resumeAfter === null) return;
    try {
      const stored = await this.#options.backlog(teamId, resumeAfter);
      // Only the newest ticks' minutes are read back: a client gone for hours gets its events, not every minute.
      const maxMinutes = this.#options.maxResumeMinutes ?? 120;
      const ticks = stored.filter((entry) => entry.event.type === 'tick');
      const skipped = new Set(ticks.slice(0, Math.max(0, ticks.length - maxMinutes)).map((entry) => entry.id));
      const missed = await this.#eventsByTeam(
        stored.filter((entry) => !skipped.has(entry.id)),
        new Set([teamId]),
        true,
      );
      this.#write(client, missed.get(teamId) ?? []);
      const pending = client.pending ?? [];
      client.pending = null;
      this.#write(client, pending);
    } catch (error) {
      this.#clients.delete(client);
      raw.destroy();
      throw error;
    }
  }

  #write(client: Client, events: readonly StoredTeamEvent[]): void {
    const fresh = events.filter((entry) => compareStreamIds(entry.id, client.lastId) > 0);
    if (fresh.length === 0) return;
    client.lastId = fresh[fresh.length - 1]!.id;
    this.#send(client, teamSseFrames(fresh));
  }

  #send(client: Client, text: string): void {
    const outcome = writeOrDrop(client.raw, text, this.#maxBuffered);
    if (outcome === 'sent') return;
    this.#clients.delete(client);
    if (outcome === 'too-slow') this.dropped += 1;
  }

  /** Ends every connection (server shutdown). */
  close(): void {
    clearInterval(this.#heartbeat);
    this.#unsubscribe();
    for (const client of this.#clients) client.raw.end();
    this.#clients.clear();
  }
}
