/**
 * The public, unauthenticated API: the leaderboard (`GET /leaderboard`, its history and metrics),
 * the activity feed (`GET /activity/recent`, `GET /activity/stream` as Server-Sent Events) and the
 * leaderboard pushed over a WebSocket after every tick (`GET /ws/leaderboard`).
 *
 * Live delivery works the same behind any number of replicas: each process runs one blocking
 * reader of the activity stream and one subscriber of the leaderboard channel, and fans out to its
 * own clients.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { PgPool } from '../../../data/postgres/pool.ts';
import type { RedisClient } from '../../../data/redis/client.ts';
import { computeLeaderboard, DEFAULT_LEADERBOARD_KEYS, readCachedLeaderboard, type LeaderboardKeys } from '../../leaderboard/publish.ts';
import { windowedMetrics } from '../../leaderboard/standings.ts';
import { metricsView, SORT_KEYS, sortEntries, type LeaderboardView, type SortKey } from '../../leaderboard/view.ts';
import { DEFAULT_RECENT_TYPES, readRecentByType } from '../../live/activity.ts';
import { ActivityHub, readActivitySince, readRecentActivity } from '../../live/activityHub.ts';
import { ACTIVITY_TYPES, HOUSEKEEPING_TYPES, type ActivityType } from '../../live/events.ts';
import { activityView } from '../../live/format.ts';
import { BoardCache } from '../../live/boardCache.ts';
import { ConnectionSlots } from '../../live/connectionSlots.ts';
import { BAD_RESUME_MESSAGE, openEventStream, refuseConnection, resumeId } from './eventStream.ts';
import { LeaderboardFeed } from '../../live/leaderboardFeed.ts';
import { SseBroadcaster } from '../../live/sseBroadcaster.ts';
import { errorSchema } from './adminSchemas.ts';
import { historyQueryProperties, historyRange, keptHistory, leaderboardHistoryAnswer, sendJsonText, type HistoryQuery } from './historyReply.ts';
import { activityRecentSchema, leaderboardHistorySchema, leaderboardMetricsSchema, leaderboardSchema } from './liveSchemas.ts';

export interface PublicRouteDeps {
  pg: PgPool;
  redis: RedisClient;
  /** Opens a new Redis connection: one for the activity reader, one for the leaderboard subscriber. */
  openRedis: () => RedisClient;
  keys?: LeaderboardKeys;
  /** Requests per minute per client address; default 600. */
  rateLimitPerMinute?: number;
  /** SSE connections this process accepts; default 5,000. */
  sseMaxClients?: number;
  /** SSE connections one client address may hold on this process; default 20. */
  sseMaxClientsPerAddress?: number;
  /** WebSocket connections this process accepts; default 5,000. */
  wsMaxClients?: number;
  /** WebSocket connections one client address may hold on this process; default 20. */
  wsMaxClientsPerAddress?: number;
  sseHeartbeatMs?: number;
  /** Bytes waiting on a slow SSE or WebSocket client before it is dropped (SSE) or skipped (WebSocket); default 1 MiB. */
  maxBufferedBytes?: number;
  now?: () => number;
}

const DAY_MS = 86_400_000;
/** Entries a resuming SSE client may be behind; the stream keeps about as many (ACTIVITY_STREAM_MAX_LENGTH). */
const RESUME_BACKLOG = 10_000;

export function registerPublicRoutes(app: FastifyInstance, deps: PublicRouteDeps): void {
  const keys = deps.keys ?? DEFAULT_LEADERBOARD_KEYS;
  const now = deps.now ?? Date.now;
  const maxBuffered = deps.maxBufferedBytes ?? 1024 * 1024;
  const rateLimit = { max: deps.rateLimitPerMinute ?? 600, timeWindow: 60_000 };
  const hub = new ActivityHub({
    reader: deps.openRedis(),
    stream: keys.activityStream,
    onError: (error) => app.log.warn({ err: error }, 'activity stream read failed; retrying'),
  });
  const broadcaster = new SseBroadcaster({
    hub,
    maxBufferedBytes: maxBuffered,
    ...(deps.sseHeartbeatMs === undefined ? {} : { heartbeatMs: deps.sseHeartbeatMs }),
  });
  // Per process, like the connections themselves (see ConnectionSlots for who gets a slot when full).
  const sseSlots = new ConnectionSlots(deps.sseMaxClients ?? 5_000, deps.sseMaxClientsPerAddress ?? 20);
  const wsSlots = new ConnectionSlots(deps.wsMaxClients ?? 5_000, deps.wsMaxClientsPerAddress ?? 20);
  /** The socket of an admitted WebSocket once upgraded, so an eviction can close it properly. */
  const upgraded = new WeakMap<FastifyRequest['raw'], { socket: WebSocket | null }>();
  const subscriber = deps.openRedis();
  const feed = new LeaderboardFeed(subscriber, keys.leaderboardChannel);
  const boards = new BoardCache(feed, subscriber, () => readCachedLeaderboard(deps.redis, keys));
  // Open streams would keep the server from closing: end them first.
  app.addHook('preClose', async () => {
    broadcaster.close();
    for (const client of app.websocketServer?.clients ?? []) client.close(1001, 'server shutting down');
    await Promise.all([hub.close(), feed.close()]);
  });

  /** The cached board (written after every tick), or computed now when no tick has published one yet. */
  const currentBoard = async (): Promise<string | Buffer> => {
    const cached = await boards.get();
    if (cached !== null) return cached.bytes;
    const { view } = await computeLeaderboard(deps.pg, now(), now);
    return JSON.stringify(view);
  };
  const currentBoardText = async (): Promise<string> => {
    const board = await currentBoard();
    return typeof board === 'string' ? board : board.toString('utf8');
  };

  app.get(
    '/leaderboard',
    {
      config: { rateLimit },
      schema: {
        tags: ['public'],
        summary: 'The current leaderboard, ranked by portfolio value',
        description: 'Cached in Redis after every tick. Entries keep the original fields (team_id, portfolio_value) and add rank, metrics and a sparkline.',
        response: { 200: leaderboardSchema, 429: errorSchema },
      },
    },
    // The cached bytes are sent as they are: no Redis read, parse, serialisation or encoding on the hot path.
    async (_request, reply) =>
      reply
        .type('application/json; charset=utf-8')
        .header('cache-control', 'no-cache')
        .serializer((body) => body as string)
        .send(await currentBoard()),
  );

  // Answers kept while their range's rows stand (see leaderboard/historyCache.ts).
  const kept = keptHistory(32 * 1024 * 1024);
  app.get<{ Querystring: HistoryQuery }>(
    '/api/v1/leaderboard/history',
    {
      config: { rateLimit },
      schema: {
        tags: ['public'],
        summary: "Every team's equity over time (newest `limit` points per team of the last `days` days), optionally downsampled (`points`) or paged (`before`, `after`)",
        querystring: {
          type: 'object',
          properties: {
            days: { type: 'integer', minimum: 1, maximum: 365, default: 7 },
            limit: { type: 'integer', minimum: 1, maximum: 5_000, default: 500 },
            ...historyQueryProperties,
          },
        },
        response: { 200: leaderboardHistorySchema, 400: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) => sendJsonText(reply, await leaderboardHistoryAnswer(deps.pg, kept, historyRange(request.query), request.query.points)),
  );

  app.get<{ Querystring: { days?: number; sort_by: SortKey } }>(
    '/api/v1/leaderboard/metrics',
    {
      config: { rateLimit },
      schema: {
        tags: ['public'],
        summary: 'The leaderboard with performance metrics, sortable',
        querystring: {
          type: 'object',
          properties: {
            days: { type: 'integer', minimum: 1, maximum: 365, description: 'Period; all of the competition when absent' },
            sort_by: { type: 'string', enum: [...SORT_KEYS], default: 'portfolio_value' },
          },
        },
        response: { 200: leaderboardMetricsSchema, 400: errorSchema, 429: errorSchema },
      },
    },
    async (request) => {
      const board = JSON.parse(await currentBoardText()) as LeaderboardView;
      let entries = board.leaderboard;
      const days = request.query.days;
      if (days !== undefined) {
        const newest = board.minute === null ? now() : Date.parse(board.minute);
        const windowed = await windowedMetrics(deps.pg, newest - days * DAY_MS, null);
        entries = entries.map((entry) => {
          const team = windowed.get(entry.team_id);
          return team ? { ...entry, ...metricsView(team.metrics, team.currentDrawdown) } : entry;
        });
      }
      return { leaderboard: sortEntries(entries, request.query.sort_by), sort_by: request.query.sort_by, calculation_period_days: days ?? null };
    },
  );

  app.get<{ Querystring: { limit: number; type?: string } }>(
    '/activity/recent',
    {
      config: { rateLimit },
      schema: {
        tags: ['public'],
        summary: 'The latest activity, oldest first: trades, rejections, errors, versions and halts, or the types asked for',
        description:
          'Each type keeps its own history (trades about 2,000, rejections and errors 1,000 each, versions 500, ticks 500, leaderboard updates 200, halts 100-200), ' +
          'so frequent events never push the others out. Without `type`, every type but `tick` and `leaderboard`; `?type=tick,leaderboard` for those.',
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            type: { type: 'string', maxLength: 300, description: `Comma-separated types: ${ACTIVITY_TYPES.join(', ')}` },
          },
        },
        response: { 200: activityRecentSchema, 400: errorSchema, 429: errorSchema },
      },
    },
    async (request, reply) => {
      const asked =
        request.query.type
          ?.split(',')
          .map((type) => type.trim())
          .filter(Boolean) ?? [];
      const unknown = asked.filter((type) => !(ACTIVITY_TYPES as readonly string[]).includes(type));
      if (unknown.length > 0)
        return reply
          .code(400)
          .send({ error: 'bad_request', message: `unknown activity type ${unknown.slice(0, 3).join(', ').slice(0, 100)}; types: ${ACTIVITY_TYPES.join(', ')}` });
      const types = asked.length > 0 ? [...new Set(asked as ActivityType[])] : DEFAULT_RECENT_TYPES;
      let entries = await readRecentByType(deps.redis, keys.activityStream, types, request.query.limit);
      // Events stored before the per-type histories existed are only in the main stream.
      if (entries.length === 0)
        entries = (await readRecentActivity(deps.redis, keys.activityStream, request.query.limit)).filter(
          (entry) => types.includes(entry.event.type) && (asked.length > 0 || !HOUSEKEEPING_TYPES.has(entry.event.type)),
        );
      return { activity: entries.map(activityView) };
    },
  );

  app.get<{ Querystring: { last_event_id?: string } }>(
    '/activity/stream',
    {
      config: { rateLimit },
      schema: {
        tags: ['public'],
        summary: 'Live activity as Server-Sent Events',
        description:
          'Each event: `id: <stream id>` and `data: {id, timestamp, type, message, event}`. Reconnecting with Last-Event-ID (EventSource does it) resumes after that event; ' +
          '`?last_event_id=` does the same on a first connection. A comment line is sent every 15 s.',
        querystring: { type: 'object', properties: { last_event_id: { type: 'string' } } },
        response: {
          200: { type: 'string', description: 'text/event-stream' },
          400: errorSchema,
          429: { ...errorSchema, description: 'Too many requests, or this address already holds SSE_MAX_CLIENTS_PER_ADDRESS streams' },
          503: { ...errorSchema, description: 'SSE_MAX_CLIENTS streams are open and no address holds more than its share' },
        },
      },
    },
    async (request, reply) => {
      const resume = resumeId(request);
      if (resume === false) return reply.code(400).send({ error: 'bad_request', message: BAD_RESUME_MESSAGE });
      // An evicted stream is cut; its EventSource reconnects and is refused (or admitted) like any newcomer.
      const admission = sseSlots.admit(request.ip, () => reply.raw.destroy(), 'activity streams');
      if (!admission.ok) return refuseConnection(reply, admission);
      reply.raw.on('close', admission.slot.release);
      await hub.start();
      openEventStream(reply);
      await broadcaster
        .add(reply.raw, resume, (afterId) => readActivitySince(deps.redis, keys.activityStream, afterId, RESUME_BACKLOG))
        .catch((error: unknown) => {
          request.log.warn({ err: error }, 'activity stream resume failed; client disconnected');
        });
    },
  );

  app.get(
    '/ws/leaderboard',
    {
      websocket: true,
      config: { rateLimit },
      schema: { tags: ['public'], summary: 'WebSocket: the leaderboard (the JSON of GET /leaderboard) on connect and after every tick' },
      // Before the upgrade, so a refusal is a plain HTTP answer (429 or 503 with JSON), not a socket closed at once.
      preHandler: async (request, reply) => {
        if (!request.ws) return; // a plain GET: answered 404 by @fastify/websocket, takes no slot
        const holder: { socket: WebSocket | null } = { socket: null };
        const evict = () => (holder.socket ? holder.socket.close(1013, 'making room for another client address; retry later') : request.raw.socket.destroy());
        const admission = wsSlots.admit(request.ip, evict, 'leaderboard WebSockets');
        if (!admission.ok) return refuseConnection(reply, admission);
        request.raw.socket.once('close', admission.slot.release);
        upgraded.set(request.raw, holder);
      },
    },
    (socket, request) => {
      const holder = upgraded.get(request.raw);
      if (holder) holder.socket = socket;
      let unsubscribe: (() => void) | null = null;
      socket.on('close', () => unsubscribe?.());
      void (async () => {
        try {
          await feed.start();
          if (socket.readyState !== socket.OPEN) return;
          unsubscribe = feed.subscribe((json) => {
            // A board replaces the previous one: a client that has not read the last ones skips to the latest.
            if (socket.bufferedAmount <= maxBuffered) socket.send(json);
          });
          socket.send(await currentBoardText());
        } catch (error) {
          request.log.warn({ err: error }, 'leaderboard websocket failed');
          socket.close(1011, 'leaderboard unavailable');
        }
      })();
    },
  );
}
