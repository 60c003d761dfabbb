/**
 * What the two equity-history routes share: the query parameters they add to `days`/`limit`
 * (downsampling and paging by time), reading them into a range, and the answer's JSON text around
 * a history Postgres already wrote as JSON (sent as it is: no parse, no second serialisation).
 */
import type { FastifyReply } from 'fastify';
import type { PgPool } from '../../../data/postgres/pool.ts';
import {
  allEquityHistoriesJson,
  allEquitySeries,
  allHistoryVersion,
  teamEquityHistoryJson,
  teamEquitySeries,
  teamHistoryVersion,
  type EquityPoint,
  type HistoryJson,
  type HistoryRange,
} from '../../leaderboard/history.ts';
import { HistoryCache } from '../../leaderboard/historyCache.ts';
import { downsampleSeries } from '../../leaderboard/historySeries.ts';
import { NextFlight } from '../../leaderboard/nextFlight.ts';
import { HttpError } from '../plugins/httpError.ts';

export const MAX_HISTORY_POINTS = 10_000;

/** Added to each history route's querystring schema (documented in /docs). */
export const historyQueryProperties = {
  points: {
    type: 'integer',
    minimum: 2,
    maximum: MAX_HISTORY_POINTS,
    description:
      "Downsample each series to at most this many points with LTTB (largest-triangle-three-buckets): the first and last points are kept, and from each bucket between them the one that keeps the curve's shape (peaks and troughs). " +
      'A series with no more points than this comes back unchanged. Without it, every point of the range.',
  },
  before: {
    type: 'string',
    format: 'date-time',
    description:
      'Only snapshots strictly before this instant (ISO 8601); `days` then count back from the newest of them. Page back with the oldest timestamp of the previous answer.',
  },
  after: { type: 'string', format: 'date-time', description: 'Only snapshots strictly after this instant (ISO 8601).' },
} as const;

export interface HistoryQuery {
  days: number;
  limit: number;
  points?: number;
  before?: string;
  after?: string;
}

// Postgres' timestamps begin at 4713 BC, the driver writes years below 1 badly: refuse them as input.
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

function instant(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || ms < EARLIEST || ms > LATEST)
    throw new HttpError(400, 'bad_request', `querystring/${name} must be an ISO 8601 date-time between the years 1 and 9999`);
  return new Date(ms);
}

/** The range a history query asks for; 400 for a `before`/`after` the schema passed but no date fits. */
export function historyRange(query: HistoryQuery): HistoryRange {
  return { days: query.days, limit: query.limit, before: instant('before', query.before), after: instant('after', query.after) };
}

/** `/api/v1/team/{id}/history`'s answer, as its schema would serialise it (same keys, same order). */
export function teamHistoryBody(teamId: string, days: number, history: HistoryJson): string {
  return `{"team_id":${JSON.stringify(teamId)},"days":${days},"data_points":${history.count},"history":${history.json}}`;
}

/** `/api/v1/leaderboard/history`'s answer around the teams' JSON. */
export function leaderboardHistoryBody(days: number, teamsJson: string): string {
  return `{"days":${days},"teams":${teamsJson}}`;
}

/** Sends JSON text as it is; the route's response schema still documents it but does not re-serialise it. */
export function sendJsonText(reply: FastifyReply, json: string | Buffer): FastifyReply {
  return reply
    .type('application/json; charset=utf-8')
    .serializer((body) => body as string)
    .send(json);
}

/** A history route's kept answers and its coalesced version checks (one per route, per process). */
export interface KeptHistory {
  cache: HistoryCache;
  versions: NextFlight<string>;
}

/** A version check is reused for this long: under a flood of requests Postgres sees a few checks a second per range, not hundreds. */
export const HISTORY_CHECK_REUSE_MS = 250;

export const keptHistory = (maxBytes: number): KeptHistory => ({ cache: new HistoryCache(maxBytes), versions: new NextFlight<string>({ reuseMs: HISTORY_CHECK_REUSE_MS }) });

const cacheKey = (teamId: string, range: HistoryRange, points: number | undefined): string =>
  [teamId, range.days, range.limit, points ?? '', range.before?.getTime() ?? '', range.after?.getTime() ?? ''].join('|');

/**
 * `/api/v1/team/{id}/history`'s answer: from the cache while the range's version stands (one small
 * query), otherwise read (every point as Postgres' JSON, or downsampled) and kept.
 */
export async function teamHistoryAnswer(pg: PgPool, { cache, versions }: KeptHistory, teamId: string, range: HistoryRange, points: number | undefined): Promise<Buffer> {
  const key = cacheKey(teamId, range, points);
  // The version depends on the range, not on `points`: one check serves the downsampled answers too.
  const cached = cache.get(key, await versions.run(cacheKey(teamId, range, undefined), () => teamHistoryVersion(pg, teamId, range)));
  if (cached !== undefined) return cached;
  let body: string;
  let version: string;
  if (points === undefined) {
    const history = await teamEquityHistoryJson(pg, teamId, range);
    body = teamHistoryBody(teamId, range.days, history);
    version = history.version;
  } else {
    const read = await teamEquitySeries(pg, teamId, range);
    const history = downsampleSeries(read.series, points);
    // JSON.stringify writes the schema's keys in the schema's order, as the serialiser would.
    body = JSON.stringify({ team_id: teamId, days: range.days, data_points: history.length, history });
    version = read.version;
  }
  const bytes = Buffer.from(body);
  cache.set(key, version, bytes);
  return bytes;
}

/** `/api/v1/leaderboard/history`'s answer, kept like the team's (its version also names the live teams). */
export async function leaderboardHistoryAnswer(pg: PgPool, { cache, versions }: KeptHistory, range: HistoryRange, points: number | undefined): Promise<Buffer> {
  const key = cacheKey('', range, points);
  const cached = cache.get(key, await versions.run(cacheKey('', range, undefined), () => allHistoryVersion(pg, range)));
  if (cached !== undefined) return cached;
  let body: string;
  let version: string;
  if (points === undefined) {
    const history = await allEquityHistoriesJson(pg, range);
    body = leaderboardHistoryBody(range.days, history.json);
    version = history.version;
  } else {
    const read = await allEquitySeries(pg, range);
    const teams: Record<string, EquityPoint[]> = {};
    for (const { teamId, series } of read.teams) teams[teamId] = downsampleSeries(series, points);
    body = JSON.stringify({ days: range.days, teams });
    version = read.version;
  }
  const bytes = Buffer.from(body);
  cache.set(key, version, bytes);
  return bytes;
}
