// What the leaderboard page shows, decoded from what the server sends. Pure (no DOM): the server's
// JSON is validated here, at the edge, so the rendering code only ever sees well-formed rows.
import { formatMoney } from './format.js';

/** @param {unknown} value */
const finiteOrNull = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
/** @param {unknown} value */
const isRecord = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Longest sparkline kept per team on the page (about one trading day of minutes). */
export const SPARKLINE_LIMIT = 390;

/**
 * The board from `GET /leaderboard` or a WebSocket push (the same JSON). Rows without a team id or an
 * equity are dropped; any other missing figure becomes null. Returns null when the payload is not a board.
 * @param {unknown} payload
 */
export function decodeLeaderboard(payload) {
  if (!isRecord(payload) || !Array.isArray(payload.leaderboard)) return null;
  const rows = [];
  for (const entry of payload.leaderboard) {
    if (!isRecord(entry) || typeof entry.team_id !== 'string' || entry.team_id === '') continue;
    const equity = finiteOrNull(entry.portfolio_value);
    if (equity === null) continue;
    rows.push({
      teamId: entry.team_id,
      name: typeof entry.name === 'string' && entry.name !== '' ? entry.name : entry.team_id,
      rank: finiteOrNull(entry.rank) ?? rows.length + 1,
      equity,
      totalReturn: finiteOrNull(entry.total_return),
      sharpe: finiteOrNull(entry.sharpe_ratio),
      maxDrawdown: finiteOrNull(entry.max_drawdown),
      ranked: entry.ranked !== false,
      halted: entry.halted === true,
      sparkline: Array.isArray(entry.sparkline) ? entry.sparkline.filter((value) => Number.isFinite(value)).slice(-SPARKLINE_LIMIT) : null,
    });
  }
  rows.sort((a, b) => a.rank - b.rank);
  const minute = typeof payload.minute === 'string' ? Date.parse(payload.minute) : NaN;
  return {
    rows,
    minute: Number.isFinite(minute) ? minute : null,
    competitionHalted: payload.competition_halted === true,
  };
}

/**
 * Equity series per team from `GET /api/v1/leaderboard/history` (`{teams: {id: [{timestamp, value}]}}`),
 * oldest first. Used when the board itself carries no sparkline.
 * @param {unknown} payload
 * @returns {Map<string, number[]>}
 */
export function decodeHistory(payload) {
  const series = new Map();
  if (!isRecord(payload) || !isRecord(payload.teams)) return series;
  for (const [teamId, points] of Object.entries(payload.teams)) {
    if (!Array.isArray(points)) continue;
    const values = points
      .filter((point) => isRecord(point) && finiteOrNull(point.value) !== null && typeof point.timestamp === 'string')
      .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp))
      .map((point) => point.value);
    series.set(teamId, values.slice(-SPARKLINE_LIMIT));
  }
  return series;
}

/**
 * The series a row's sparkline draws: the board's own when it has one, else the history fetched at
 * load extended by each new minute's equity (a minute already counted is not counted twice).
 * @param {number[] | undefined} known
 * @param {{ sparkline: number[] | null, equity: number }} row
 * @param {boolean} newMinute
 */
export function nextSeries(known, row, newMinute) {
  if (row.sparkline && row.sparkline.length > 0) return row.sparkline;
  const base = known ?? [];
  if (!newMinute && base.length > 0) return [...base.slice(0, -1), row.equity];
  return [...base, row.equity].slice(-SPARKLINE_LIMIT);
}

/** Which rows' figures changed since the previous board, for a brief highlight. */
export function changedTeams(previous, next) {
  const before = new Map((previous?.rows ?? []).map((row) => [row.teamId, row]));
  const changed = new Set();
  for (const row of next.rows) {
    const old = before.get(row.teamId);
    if (!old || old.equity !== row.equity || old.rank !== row.rank) changed.add(row.teamId);
  }
  return changed;
}

/** One sentence for screen readers after an update: who leads and at what time. */
export function summarise(board, clock) {
  const leader = board.rows[0];
  if (!leader) return 'No team is on the board yet.';
  const when = board.minute === null ? '' : ` at ${clock(board.minute)}`;
  return `Leaderboard updated${when}: ${leader.name} leads with ${formatMoney(leader.equity)}.`;
}

const ACTIVITY_TYPES = new Set([
  'trade',
  'order_rejected',
  'strategy_error',
  'version_activated',
  'version_rejected',
  'team_halted',
  'team_resumed',
  'competition_halted',
  'competition_resumed',
]);

/** Every event type the activity stream may name (`event:` of the SSE frames). */
export const STREAM_EVENT_TYPES = [...ACTIVITY_TYPES, 'tick', 'leaderboard'];

const shortCommit = (commit) => (typeof commit === 'string' ? commit.slice(0, 7) : '');
const sharesText = (quantity) => `${quantity} ${quantity === 1 ? 'share' : 'shares'}`;

/**
 * The event inside what the stream or `/activity/recent` sends: `{id, timestamp, type, message, event}`
 * carries it in `event`; a bare event is taken as it is.
 * @param {unknown} data
 */
export function unwrapActivity(data) {
  if (isRecord(data) && isRecord(data.event) && typeof data.event.type === 'string') return data.event;
  return data;
}

/**
 * A line of the activity ticker for one stream event, or null for events the ticker does not show
 * (ticks and leaderboard updates: the table shows those). `nameOf` turns a team id into its name.
 * @param {unknown} event
 * @param {(teamId: string) => string} nameOf
 * @returns {{ at: number, kind: string, text: string } | null}
 */
export function describeActivity(event, nameOf) {
  if (!isRecord(event) || typeof event.type !== 'string' || !ACTIVITY_TYPES.has(event.type)) return null;
  const at = finiteOrNull(event.at) ?? Date.now();
  const team = typeof event.teamId === 'string' ? nameOf(event.teamId) : '';
  switch (event.type) {
    case 'trade': {
      const verb = event.side === 'sell' ? 'sold' : 'bought';
      return { at, kind: event.side === 'sell' ? 'sell' : 'buy', text: `${team} ${verb} ${sharesText(event.quantity)} of ${event.symbol} at ${formatMoney(event.price)}` };
    }
    case 'order_rejected':
      return { at, kind: 'rejected', text: `${team}: order for ${event.symbol} rejected (${event.message})` };
    case 'strategy_error':
      return { at, kind: 'error', text: `${team}: strategy ${event.kind} error` };
    case 'version_activated':
      return { at, kind: 'version', text: `${team} deployed ${shortCommit(event.commit)}` };
    case 'version_rejected':
      return { at, kind: 'rejected', text: `${team}: commit ${shortCommit(event.commit)} refused (${event.reason})` };
    case 'team_halted':
      return { at, kind: 'halt', text: `${team} halted (${event.reason})` };
    case 'team_resumed':
      return { at, kind: 'resume', text: `${team} resumed` };
    case 'competition_halted':
      return { at, kind: 'halt', text: `Competition halted (${event.reason})` };
    case 'competition_resumed':
      return { at, kind: 'resume', text: 'Competition resumed' };
    default:
      return null;
  }
}

/**
 * Delay before the n-th reconnection attempt (n from 1): doubling from `base`, capped at `max`, with
 * up to 20 % jitter from `random` so a restarted server is not hit by every page at once.
 */
export function reconnectDelay(attempt, base = 1_000, max = 30_000, random = Math.random) {
  const plain = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  return Math.round(plain * (0.8 + 0.2 * random()));
}
