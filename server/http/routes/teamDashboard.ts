/**
 * What the team dashboard needs beyond the original team routes: open positions with their marks,
 * orders filtered by several statuses (`?status=open`), the strategy's runs per minute (CPU chart),
 * and the team's own live stream (Server-Sent Events with its key).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import type { RedisClient } from '../../../data/redis/client.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { readTeamSince } from '../../live/activity.ts';
import { ActivityHub } from '../../live/activityHub.ts';
import { ConnectionSlots } from '../../live/connectionSlots.ts';
import { loadTeamMinutes } from '../../live/teamMinutes.ts';
import { TeamStreams } from '../../live/teamStreams.ts';
import { decimalStringToMoney, moneyToDecimalString, notional } from '../../trading/money.ts';
import { errorSchema, teamIdParams } from './adminSchemas.ts';
import { BAD_RESUME_MESSAGE, openEventStream, refuseConnection, resumeId } from './eventStream.ts';

export const ORDER_STATUSES = ['pending_submit', 'accepted', 'partially_filled', 'filled', 'canceled', 'expired', 'rejected'] as const;
/** `?status=open`: orders that may still fill. */
export const OPEN_STATUSES = ['pending_submit', 'accepted', 'partially_filled'] as const;
const STATUS_WORD = `(open|${ORDER_STATUSES.join('|')})`;
export const STATUS_FILTER_PATTERN = `^${STATUS_WORD}(,${STATUS_WORD})*$`;

/** The statuses a `?status=` value names (`open` stands for the three that may still fill). */
export function statusesOf(filter: string): string[] {
  const statuses = new Set<string>();
  for (const word of filter.split(',')) {
    if (word === 'open') for (const status of OPEN_STATUSES) statuses.add(status);
    else statuses.add(word);
  }
  return [...statuses];
}

const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Orders newest first with any of `statuses` (all when null); the columns of GET …/orders. */
export async function listOrdersByStatus(pg: PgPool, teamId: string, limit: number, offset: number, statuses: readonly string[] | null): Promise<unknown[]> {
  const { rows } = await pg.query<Record<string, unknown>>(
    `SELECT client_order_id, to_char(minute AT TIME ZONE 'UTC', ${ISO}) AS minute, seq, symbol, side, quantity::int AS quantity, type AS order_type,
            limit_price::text AS limit_price, reference_price::text AS requested_price, reason, status, filled_quantity::int AS filled_quantity,
            filled_avg_price::text AS filled_avg_price, broker_order_id, broker_reason, submit_attempts, last_submit_error,
            to_char(updated_at AT TIME ZONE 'UTC', ${ISO}) AS updated_at
       FROM orders WHERE team_id = $1 AND ($3::text[] IS NULL OR status = ANY($3))
      ORDER BY minute DESC, seq DESC LIMIT $4 OFFSET $2`,
    [teamId, offset, statuses, limit],
  );
  return rows;
}

interface PositionRow {
  symbol: string;
  quantity: string;
  pending_sell: string;
  cost_basis: string;
  realized_pnl: string;
}

const positionSchema = {
  type: 'object',
  required: ['symbol', 'quantity', 'avg_cost', 'cost_basis', 'last_price', 'market_value', 'unrealized_pnl', 'realized_pnl'],
  properties: {
    symbol: { type: 'string' },
    quantity: { type: 'integer' },
    pending_sell: { type: 'integer', description: 'Shares promised to open sell orders' },
    avg_cost: { type: 'string', description: 'Exact dollars per share' },
    cost_basis: { type: 'string' },
    last_price: { type: ['string', 'null'], description: 'The mark of the latest snapshot; null before the first one' },
    market_value: { type: ['string', 'null'] },
    unrealized_pnl: { type: ['string', 'null'] },
    realized_pnl: { type: 'string', description: 'Realised on this symbol since the start' },
  },
} as const;

const positionsSchema = {
  type: 'object',
  required: ['team_id', 'as_of', 'cash', 'reserved_cash', 'equity', 'positions'],
  properties: {
    team_id: { type: 'string' },
    as_of: { type: ['string', 'null'], format: 'date-time', description: 'Minute of the snapshot the marks come from' },
    cash: { type: 'string' },
    reserved_cash: { type: 'string', description: 'Cash promised to open buy orders' },
    equity: { type: ['string', 'null'], description: 'Equity at `as_of`' },
    positions: { type: 'array', items: positionSchema },
  },
} as const;

const runSchema = {
  type: 'object',
  required: ['minute', 'cpu_ms', 'wall_ms', 'signals', 'rejections', 'error_kind'],
  properties: {
    minute: { type: 'string', format: 'date-time' },
    cpu_ms: { type: 'number' },
    wall_ms: { type: 'number' },
    signals: { type: 'integer' },
    rejections: { type: 'integer' },
    error_kind: { type: ['string', 'null'] },
  },
} as const;

/** The team's open positions, marked at the latest snapshot. */
async function teamPositions(pg: PgPool, teamId: string) {
  const [book, positions, snapshot] = await Promise.all([
    pg.query<{ cash: string; reserved_cash: string }>('SELECT cash::text AS cash, reserved_cash::text AS reserved_cash FROM team_books WHERE team_id = $1', [teamId]),
    pg.query<PositionRow>(
      `SELECT symbol, quantity::text AS quantity, pending_sell::text AS pending_sell, cost_basis::text AS cost_basis, realized_pnl::text AS realized_pnl
         FROM team_positions WHERE team_id = $1 AND quantity > 0 ORDER BY symbol`,
      [teamId],
    ),
    pg.query<{ minute: Date; equity: string; positions: Record<string, { price?: string | null }> }>(
      'SELECT minute, equity::text AS equity, positions FROM equity_snapshots WHERE team_id = $1 ORDER BY minute DESC LIMIT 1',
      [teamId],
    ),
  ]);
  const marks = snapshot.rows[0]?.positions ?? {};
  return {
    team_id: teamId,
    as_of: snapshot.rows[0]?.minute.toISOString() ?? null,
    cash: book.rows[0]?.cash ?? '0.0000',
    reserved_cash: book.rows[0]?.reserved_cash ?? '0.0000',
    equity: snapshot.rows[0]?.equity ?? null,
    positions: positions.rows.map((row) => {
      const quantity = Number(row.quantity);
      const costBasis = decimalStringToMoney(row.cost_basis);
      const mark = marks[row.symbol]?.price;
      const price = typeof mark === 'string' ? decimalStringToMoney(mark) : null;
      const value = price === null ? null : notional(quantity, price);
      return {
        symbol: row.symbol,
        quantity,
        pending_sell: Number(row.pending_sell),
        avg_cost: moneyToDecimalString(Math.round(costBasis / quantity)),
        cost_basis: row.cost_basis,
        last_price: price === null ? null : moneyToDecimalString(price),
        market_value: value === null ? null : moneyToDecimalString(value),
        unrealized_pnl: value === null ? null : moneyToDecimalString(value - costBasis),
        realized_pnl: row.realized_pnl,
      };
    }),
  };
}

export interface TeamStreamDeps {
  redis: RedisClient;
  /** Opens the connection the stream's activity reader blocks on. */
  openRedis: () => RedisClient;
  /** The activity stream key. */
  activityStream: string;
  /** Open team streams this process accepts; default 5,000. */
  maxClients?: number;
  /** Open team streams per client address; default 20. */
  maxClientsPerAddress?: number;
  heartbeatMs?: number;
}

export interface TeamDashboardRouteDeps {
  pg: PgPool;
  auth: Authenticator;
  rateLimit: { max: number; timeWindow: number; keyGenerator: (request: FastifyRequest) => string };
  stream?: TeamStreamDeps;
}

const refusals = { 401: errorSchema, 403: errorSchema, 429: errorSchema } as const;
const security = [{ bearer: [] }];
/** Events of a team a resuming client may be behind. */
const RESUME_BACKLOG = 2_000;

export function registerTeamDashboardRoutes(app: FastifyInstance, deps: TeamDashboardRouteDeps): void {
  const onRequest = deps.auth.requireTeam('id');
  const rateLimit = deps.rateLimit;

  app.get<{ Params: { id: string } }>(
    '/api/v1/team/:id/positions',
    {
      onRequest,
      config: { rateLimit },
      schema: {
        tags: ['team'],
        security,
        summary: "The team's open positions (quantity, average cost, mark, market value, unrealised and realised P&L) and its cash; exact decimal strings",
        params: teamIdParams,
        querystring: { type: 'object', properties: { key: { type: 'string' } } },
        response: { 200: positionsSchema, ...refusals },
      },
    },
    async (request) => teamPositions(deps.pg, request.params.id),
  );

  app.get<{ Params: { id: string }; Querystring: { limit: number } }>(
    '/api/v1/team/:id/runs',
    {
      onRequest,
      config: { rateLimit },
      schema: {
        tags: ['team'],
        security,
        summary: "The strategy's runs, newest minute first: CPU and wall milliseconds, signals, rejected orders, error kind",
        params: teamIdParams,
        querystring: { type: 'object', properties: { limit: { type: 'integer', minimum: 1, maximum: 1_000, default: 120 }, key: { type: 'string' } } },
        response: {
          200: { type: 'object', required: ['team_id', 'runs'], properties: { team_id: { type: 'string' }, runs: { type: 'array', items: runSchema } } },
          400: errorSchema,
          ...refusals,
        },
      },
    },
    async (request) => {
      const { rows } = await deps.pg.query<{ minute: Date; cpu_ms: number; wall_ms: number; signals: number; rejections: number; error_kind: string | null }>(
        `SELECT minute, cpu_ms, wall_ms, jsonb_array_length(signals) AS signals, jsonb_array_length(rejections) AS rejections, error ->> 'kind' AS error_kind
           FROM tick_team_runs WHERE team_id = $1 ORDER BY minute DESC LIMIT $2`,
        [request.params.id, request.query.limit],
      );
      return {
        team_id: request.params.id,
        runs: rows.map((row) => ({ ...row, minute: row.minute.toISOString(), error_kind: row.error_kind === null ? null : row.error_kind.slice(0, 64) })),
      };
    },
  );

  if (deps.stream) registerTeamStream(app, deps, deps.stream);
}

function registerTeamStream(app: FastifyInstance, deps: TeamDashboardRouteDeps, stream: TeamStreamDeps): void {
  const hub = new ActivityHub({
    reader: stream.openRedis(),
    stream: stream.activityStream,
    onError: (error) => app.log.warn({ err: error }, 'team streams: activity stream read failed; retrying'),
  });
  const teams = new TeamStreams({
    hub,
    loadMinutes: (teamIds, minutes) => loadTeamMinutes(deps.pg, teamIds, minutes),
    backlog: (teamId, afterId) => readTeamSince(stream.redis, stream.activityStream, teamId, afterId, RESUME_BACKLOG, true),
    ...(stream.heartbeatMs === undefined ? {} : { heartbeatMs: stream.heartbeatMs }),
    onError: (error) => app.log.warn({ err: error }, 'team streams: a minute could not be read'),
  });
  const slots = new ConnectionSlots(stream.maxClients ?? 5_000, stream.maxClientsPerAddress ?? 20);
  app.addHook('preClose', async () => {
    teams.close();
    await hub.close();
  });

  app.get<{ Params: { id: string }; Querystring: { last_event_id?: string } }>(
    '/api/v1/team/:id/stream',
    {
      onRequest: deps.auth.requireTeam('id'),
      config: { rateLimit: deps.rateLimit },
      schema: {
        tags: ['team'],
        security,
        summary: "The team's own live events as Server-Sent Events",
        description:
          "Its trades, rejected orders, strategy errors, version activated / rejected (with the first findings), halts and resumes (its own and the competition's), " +
          'and after every minute a `minute` event: `{equity, cash, cpuMs, error, logs}`. Each event: `id: <stream id>` and `data: {id, timestamp, type, message, event}`. ' +
          "The key goes as `Authorization: Bearer` (or `?key=`). Reconnecting with Last-Event-ID (or `?last_event_id=`) resumes after that event from the team's history. " +
          'A comment line is sent every 15 s.',
        params: teamIdParams,
        querystring: { type: 'object', properties: { last_event_id: { type: 'string' }, key: { type: 'string' } } },
        response: {
          200: { type: 'string', description: 'text/event-stream' },
          400: errorSchema,
          ...refusals,
          503: { ...errorSchema, description: 'Too many streams are open on this server' },
        },
      },
    },
    async (request, reply) => streamHandler(request, reply),
  );

  async function streamHandler(
    request: FastifyRequest<{ Params: { id: string }; Querystring: { last_event_id?: string } }>,
    reply: FastifyReply,
  ): Promise<FastifyReply | undefined> {
    const resume = resumeId(request);
    if (resume === false) return reply.code(400).send({ error: 'bad_request', message: BAD_RESUME_MESSAGE });
    const admission = slots.admit(request.ip, () => reply.raw.destroy(), 'team streams');
    if (!admission.ok) return refuseConnection(reply, admission);
    reply.raw.on('close', admission.slot.release);
    await hub.start();
    openEventStream(reply);
    await teams.add(reply.raw, request.params.id, resume).catch((error: unknown) => {
      request.log.warn({ err: error }, 'team stream resume failed; client disconnected');
    });
    return undefined;
  }
}
