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
import { COMPETITION_TYPES, type StoredActivity, type StoredTeamEvent, type TeamMinuteEvent } from './events.ts';
import { teamSseFrames } from './format.ts';
import { SseClients, type SseClient } from './sseClients.ts';

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

interface Client extends SseClient<StoredTeamEvent> {
  teamId: string;
}

const competitionWide = new Set<string>(COMPETITION_TYPES);

function concerns(entry: StoredActivity, teamId: string): boolean {
  const event = entry.event;
  return ('teamId' in event && event.teamId === teamId) || competitionWide.has(event.type);
}

export class TeamStreams {
  readonly #clients: SseClients<StoredTeamEvent, Client>;
  readonly #options: TeamStreamsOptions;
  readonly #unsubscribe: () => void;
  #chain: Promise<void> = Promise.resolve();
  #queued = 0;

  constructor(options: TeamStreamsOptions) {
    this.#options = options;
    this.#clients = new SseClients({ frames: teamSseFrames, heartbeatMs: options.heartbeatMs, maxBufferedBytes: options.maxBufferedBytes });
    this.#unsubscribe = options.hub.subscribe((entries) => this.#enqueue(entries));
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Clients dropped for not reading fast enough. */
  get dropped(): number {
    return this.#clients.dropped;
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
      else this.#clients.write(client, events);
    }
  }

  /**
   * Adds a client whose headers were written. With `resumeAfter` (a Last-Event-ID) the team's events
   * after it are read and written first; live events arriving meanwhile follow, none twice.
   */
  async add(raw: ServerResponse, teamId: string, resumeAfter: string | null): Promise<void> {
    const client: Client = { raw, teamId, lastId: resumeAfter ?? this.#options.hub.position, pending: resumeAfter === null ? null : [] };
    await this.#clients.add(client, resumeAfter === null ? null : () => this.#missed(teamId, resumeAfter));
  }

  /** A resuming client's events. Only the newest ticks' minutes are read back: a client gone for hours gets its events, not every minute. */
  async #missed(teamId: string, resumeAfter: string): Promise<StoredTeamEvent[]> {
    const stored = await this.#options.backlog(teamId, resumeAfter);
    const maxMinutes = this.#options.maxResumeMinutes ?? 120;
    const ticks = stored.filter((entry) => entry.event.type === 'tick');
    const skipped = new Set(ticks.slice(0, Math.max(0, ticks.length - maxMinutes)).map((entry) => entry.id));
    const missed = await this.#eventsByTeam(
      stored.filter((entry) => !skipped.has(entry.id)),
      new Set([teamId]),
      true,
    );
    return missed.get(teamId) ?? [];
  }

  /** Ends every connection (server shutdown). */
  close(): void {
    this.#unsubscribe();
    this.#clients.close();
  }
}
