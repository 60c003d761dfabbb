/**
 * The scheduler: produces one tick flow per market minute on the BullMQ queue, in order, each after the
 * previous one finished (a minute's fills need the previous minute's orders, and a strategy's minutes
 * must increase). Job ids derive from the minute, so two schedulers (or a restarted one) add each minute
 * once.
 *
 * Clocks (TICK config):
 *  - live: each regular-session minute once it has closed plus TICK_DELAY_MS; a minute missed while the
 *    previous tick ran long is skipped (a live competition never trades on stale minutes);
 *  - simulated: one market minute every SIM_MINUTE_MS of real time, from SIM_START (or the next session),
 *    skipping nights, weekends and holidays; a restart continues after the last stored minute;
 *  - replay: the minutes of REPLAY_FILE that have bars, as fast as the ticks complete or REPLAY_SPEED
 *    market minutes per real minute; a restart continues after the last stored minute.
 * A fresh simulated or replayed season (no minute stored yet) passes the start gate first (startGate.ts):
 * SEASON_START_AT, or every enabled team's strategy active, or SEASON_START_TIMEOUT_MS.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { FlowProducer, QueueEvents } from 'bullmq';
import type { Logger } from 'pino';
import { MINUTE_MS } from '../../data/market/bar.ts';
import { embeddedCalendar, type MarketCalendar } from '../../data/market/calendar.ts';
import { ReplaySource } from '../../data/market/replaySource.ts';
import type { PgPool } from '../../data/postgres/pool.ts';
import type { RedisClient } from '../../data/redis/client.ts';
import { REDIS_KEYS } from '../config/redisKeys.ts';
import { recordAuditEvent } from '../../data/postgres/audit.ts';
import { publishActivity } from '../live/activity.ts';
import type { RegistryStore } from '../../registry/store.ts';
import type { Config } from '../config/config.ts';
import { TICK_QUEUE, tickFlow } from '../tick/queue.ts';
import { recentTicks, type TickClock } from '../tick/tickStore.ts';
import { dueLiveMinute, nextLiveDueAt, nextSessionMinute, pacedAt, sessionMinuteAtOrAfter } from './clocks.ts';
import { readTeamReadiness, waitForSeasonStart, type SeasonStart, type StartGateOptions } from './startGate.ts';

export interface SchedulerDeps {
  config: Config;
  pg: PgPool;
  /** The BullMQ connections are duplicates of it. */
  redis: RedisClient;
  registry: RegistryStore;
  logger: Logger;
  prefix?: string;
  calendar?: MarketCalendar;
  now?: () => number;
  /** How often the start gate reads the teams' state (default 1 s). */
  startGatePollMs?: number;
  /** Where the season's start is announced (default the activity stream). */
  activityStream?: string;
}

export interface RunningScheduler {
  clock: TickClock;
  /** Minutes whose tick completed since the start. */
  completed(): number;
  /** Resolves when a finite clock (replay) has produced its last minute. */
  finished: Promise<void>;
  /** How the season started (the start gate's verdict); null for the live clock and a resumed season. */
  seasonStart: Promise<SeasonStart | null>;
  stop(): Promise<void>;
}

export async function startScheduler(deps: SchedulerDeps): Promise<RunningScheduler> {
  const { config } = deps;
  const log = deps.logger.child({ component: 'scheduler' });
  const calendar = deps.calendar ?? embeddedCalendar;
  const now = deps.now ?? Date.now;
  const prefix = deps.prefix ?? REDIS_KEYS.bullPrefix;
  const clock = config.tick.clock;
  const shards = config.tick.shards;
  const connection = () => {
    const client = deps.redis.duplicate({ maxRetriesPerRequest: null, enableOfflineQueue: true, lazyConnect: false });
    client.on('error', () => undefined);
    return client;
  };
  const producerConnection = connection();
  const eventsConnection = connection();
  const producer = new FlowProducer({ connection: producerConnection, prefix });
  const events = new QueueEvents(TICK_QUEUE, { connection: eventsConnection, prefix });
  await events.waitUntilReady();
  const abort = new AbortController();
  let completed = 0;
  let settleSeasonStart: (start: SeasonStart | null) => void = () => undefined;
  const seasonStart = new Promise<SeasonStart | null>((resolve) => (settleSeasonStart = resolve));

  /** A fresh season waits at the start gate; a resumed one (minutes stored) goes on at once. */
  async function passStartGate(resumed: boolean): Promise<void> {
    if (resumed) return settleSeasonStart(null);
    const gate: StartGateOptions = {
      startAt: config.tick.seasonStartAt,
      timeoutMs: config.tick.seasonStartTimeoutMs,
      enabledTeams: () =>
        deps.registry
          .current()
          .teams.filter((team) => team.enabled)
          .map((team) => team.id),
      readiness: (teamIds) => readTeamReadiness(deps.pg, teamIds),
      now,
      signal: abort.signal,
      log,
      ...(deps.startGatePollMs !== undefined ? { pollMs: deps.startGatePollMs } : {}),
    };
    const start = await waitForSeasonStart(gate);
    // Kept in the audit log: how the season started and which teams had no strategy yet.
    await recordAuditEvent(deps.pg, { actor: 'scheduler', kind: 'season.started', details: { clock, reason: start.reason, waitedMs: start.waitedMs, late: start.late } }).catch(
      (error: unknown) => log.warn({ err: error }, 'could not record the season start in the audit log'),
    );
    await publishActivity(deps.redis, { type: 'season_started', at: now(), clock, reason: start.reason, waitedMs: start.waitedMs, late: start.late }, deps.activityStream).catch(
      (error: unknown) => log.warn({ err: error }, 'could not announce the season start'),
    );
    settleSeasonStart(start);
  }

  /** Adds the minute's flow (a duplicate adds nothing) and waits for its books. */
  async function tick(minute: number): Promise<void> {
    const node = await producer.add(tickFlow(minute, shards, clock));
    const finished = node.job.waitUntilFinished(events);
    const stopped = new Promise<never>((_, reject) => abort.signal.addEventListener('abort', () => reject(new Error('scheduler stopped')), { once: true }));
    try {
      await Promise.race([finished, stopped]);
      completed += 1;
    } catch (error) {
      if (abort.signal.aborted) return;
      log.error({ err: error, minute: new Date(minute).toISOString() }, 'tick failed; going on with the next minute');
    }
  }

  async function wait(until: number): Promise<void> {
    const ms = until - now();
    if (ms > 0) await sleep(Math.min(ms, 60_000), undefined, { signal: abort.signal });
  }

  /** Where a resumable clock goes on: the latest stored minute again if it did not complete, else the one after. */
  async function resumeFrom(): Promise<{ minute: number; completed: boolean } | null> {
    const [latest] = await recentTicks(deps.pg, 1);
    return latest === undefined ? null : { minute: latest.minute, completed: latest.status !== 'running' };
  }

  async function runLive(): Promise<void> {
    let last = -Infinity;
    while (!abort.signal.aborted) {
      const due = dueLiveMinute(now(), config.tick.delayMs, calendar);
      if (due !== null && due > last) {
        if (last !== -Infinity && due > nextSessionMinute(last, calendar))
          log.warn({ from: new Date(nextSessionMinute(last, calendar)).toISOString(), to: new Date(due).toISOString() }, 'skipped minutes the previous tick overran');
        last = due;
        await tick(due);
        continue;
      }
      await wait(nextLiveDueAt(due ?? Math.floor(now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS, config.tick.delayMs, calendar));
    }
  }

  async function runSimulated(minuteMs: number): Promise<void> {
    const resume = await resumeFrom();
    await passStartGate(resume !== null);
    let minute: number;
    if (resume !== null) minute = resume.completed ? nextSessionMinute(resume.minute, calendar) : resume.minute;
    else minute = sessionMinuteAtOrAfter(config.tick.simStart ?? now(), calendar);
    if (config.tick.simStart !== undefined && resume === null) log.info({ start: new Date(minute).toISOString() }, 'simulated clock starts');
    const startedAt = now();
    for (let index = 0; !abort.signal.aborted; index++) {
      await wait(pacedAt(startedAt, index, minuteMs));
      await tick(minute);
      minute = nextSessionMinute(minute, calendar);
    }
  }

  async function runReplay(file: string, speed: number | undefined): Promise<void> {
    const source = await ReplaySource.fromCsvFiles([file]);
    const universe = deps.registry.current().competition.universe;
    const resume = await resumeFrom();
    const minutes: number[] = [];
    if (source.range !== null) {
      for await (const snapshot of source.minutes(source.range.first, source.range.end, universe)) {
        if (resume === null || snapshot.minute > resume.minute || (!resume.completed && snapshot.minute === resume.minute)) minutes.push(snapshot.minute);
      }
    }
    await passStartGate(resume !== null);
    log.info({ file, minutes: minutes.length, speed: speed ?? 'as fast as possible' }, 'replaying');
    const startedAt = now();
    for (const [index, minute] of minutes.entries()) {
      if (abort.signal.aborted) return;
      if (speed !== undefined) await wait(pacedAt(startedAt, index, MINUTE_MS / speed));
      await tick(minute);
    }
    log.info({ file, minutes: minutes.length }, 'replay finished');
  }

  const loop = (async () => {
    for (;;) {
      try {
        if (clock === 'replay') return await runReplay(config.tick.replayFile!, config.tick.replaySpeed);
        if (clock === 'simulated') return await runSimulated(config.tick.simMinuteMs!);
        settleSeasonStart(null);
        return await runLive();
      } catch (error) {
        if (abort.signal.aborted) return;
        log.error({ err: error }, 'scheduler error; retrying in 1 s');
        await sleep(1_000, undefined, { signal: abort.signal }).catch(() => undefined);
      }
    }
  })();
  log.info(
    { clock, shards, ...(clock === 'simulated' ? { simMinuteMs: config.tick.simMinuteMs } : {}), ...(clock === 'replay' ? { file: config.tick.replayFile } : {}) },
    'tick scheduler started',
  );

  return {
    clock,
    completed: () => completed,
    finished: loop,
    seasonStart,
    stop: async () => {
      abort.abort();
      await loop;
      settleSeasonStart(null);
      await producer.close();
      await events.close();
      producerConnection.disconnect();
      eventsConnection.disconnect();
    },
  };
}
