// What the team dashboard shows, decoded from the team endpoints. Pure (no DOM).
import { formatMarketMinute, formatMoney } from './format.js';

/** @param {unknown} value */
const isRecord = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
/** @param {unknown} value */
const text = (value) => (typeof value === 'string' ? value : '');

/** Team ids as the registry allows them. */
export const TEAM_ID_PATTERN = /^[a-z0-9][a-z0-9-]{1,31}$/;

/** The dashboard's credentials as kept in sessionStorage, or null when absent or malformed. */
export function decodeSession(raw) {
  if (typeof raw !== 'string') return null;
  try {
    const value = JSON.parse(raw);
    if (isRecord(value) && typeof value.teamId === 'string' && TEAM_ID_PATTERN.test(value.teamId) && typeof value.key === 'string' && value.key !== '') {
      return { teamId: value.teamId, key: value.key };
    }
  } catch {
    // Not ours: treated as signed out.
  }
  return null;
}

/** Exact decimal strings of the API ("500.2500") as numbers for display; null when not a number. */
export function parseDecimal(value) {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || !/^-?\d+(\.\d+)?$/.test(value.trim())) return null;
  return Number(value);
}

/** What to tell the person when a team endpoint refuses. */
export function describeFailure(status, message) {
  switch (status) {
    case 401:
      return `The key was not accepted (${message}). Check that you pasted the whole key, or ask an admin for a new one.`;
    case 403:
      return `This key is for another team (${message}).`;
    case 404:
      return `No such team (${message}).`;
    case 429:
      return `Too many requests for now (${message}).`;
    default:
      return status ? `The server answered ${status}: ${message}` : `The server could not be reached (${message}).`;
  }
}

/** One line per static-check or compile finding: "strategy.ts:12:5 rule: message — hint". */
export function describeFinding(finding) {
  if (!isRecord(finding)) return '';
  const where = finding.file ? `${finding.file}:${finding.line}:${finding.column} ` : '';
  const hint = finding.hint ? ` — ${finding.hint}` : '';
  return `${where}${text(finding.rule)}: ${text(finding.message)}${hint}`;
}

/** Equity values, oldest first, from `/api/v1/team/{id}/history`. */
export function equitySeries(payload) {
  if (!isRecord(payload) || !Array.isArray(payload.history)) return [];
  return payload.history
    .filter((point) => isRecord(point) && typeof point.value === 'number' && Number.isFinite(point.value) && typeof point.timestamp === 'string')
    .sort((a, b) => Date.parse(a.timestamp) - Date.parse(b.timestamp))
    .map((point) => point.value);
}

/** Log lines, newest minute first, from `/api/v1/team/{id}/logs`: `{minute, level, message}`. */
export function logLines(payload) {
  if (!isRecord(payload) || !Array.isArray(payload.logs)) return [];
  const lines = [];
  for (const entry of payload.logs) {
    if (!isRecord(entry) || !Array.isArray(entry.lines)) continue;
    const minute = Date.parse(text(entry.minute));
    for (const line of entry.lines) {
      if (typeof line === 'string') lines.push({ minute, level: 'log', message: line });
      else if (isRecord(line)) lines.push({ minute, level: text(line.level) || 'log', message: text(line.message) });
    }
  }
  return lines;
}

/** Label/value pairs describing the strategy from `/api/v1/team/{id}/strategy`. */
export function strategyFacts(strategy) {
  if (!isRecord(strategy)) return [];
  const facts = [];
  const active = isRecord(strategy.active_version) ? strategy.active_version : null;
  facts.push(['Active version', active ? `${text(active.commit).slice(0, 12)} — ${text(active.message).split('\n')[0]}` : 'none yet: push a strategy that passes the checks']);
  const latest = isRecord(strategy.latest_evaluation) ? strategy.latest_evaluation : null;
  if (latest && latest.status === 'rejected') {
    facts.push([
      'Latest commit',
      `${text(latest.commit).slice(0, 12)} rejected at ${text(latest.rejected_at_stage) || 'evaluation'}${latest.error ? `: ${text(latest.error)}` : ''}`,
    ]);
  }
  const sync = isRecord(strategy.git_sync) ? strategy.git_sync : null;
  if (sync) facts.push(['Git', sync.error ? `failing (${text(sync.error_kind)}): ${text(sync.error)}` : `up to date at ${text(sync.head).slice(0, 12)}`]);
  const halted = isRecord(strategy.halted) ? strategy.halted : null;
  facts.push(['Trading', halted ? `halted (${text(halted.scope)}): ${text(halted.reason)}` : 'running']);
  const quarantine = isRecord(strategy.quarantine) ? strategy.quarantine : null;
  if (quarantine?.quarantined) facts.push(['Quarantine', `quarantined since ${formatMarketMinute(Date.parse(text(quarantine.since)))}: ${text(quarantine.reason)}`]);
  const cpu = isRecord(strategy.cpu_ms_per_minute) ? strategy.cpu_ms_per_minute : null;
  facts.push(['CPU per minute', cpu ? `${Number(cpu.average).toFixed(1)} ms average, ${Number(cpu.max).toFixed(1)} ms max over ${cpu.minutes} minutes` : 'no run yet']);
  const lastRun = typeof strategy.last_run_at === 'string' ? Date.parse(strategy.last_run_at) : NaN;
  facts.push(['Last run', Number.isFinite(lastRun) ? formatMarketMinute(lastRun) : 'not yet']);
  const error = isRecord(strategy.last_error) ? strategy.last_error : null;
  facts.push(['Last error', error ? `${formatMarketMinute(Date.parse(text(error.minute)))} — ${text(error.kind)}: ${text(error.message)}` : 'none']);
  return facts;
}

/** The findings of the latest evaluation (what blocks a commit), as lines. */
export function latestFindings(strategy) {
  const latest = isRecord(strategy) && isRecord(strategy.latest_evaluation) ? strategy.latest_evaluation : null;
  if (!latest || !Array.isArray(latest.findings)) return [];
  return latest.findings.map(describeFinding).filter((line) => line !== '');
}

/** A trade row for the table: [time, side, quantity, symbol, price, realised P&L]. */
export function tradeCells(trade) {
  if (!isRecord(trade)) return null;
  const pnl = parseDecimal(trade.realized_pnl);
  return {
    at: Date.parse(text(trade.timestamp)),
    side: trade.side === 'sell' ? 'sell' : 'buy',
    quantity: text(trade.quantity).replace(/\.0+$/, ''),
    symbol: text(trade.symbol),
    price: formatMoney(parseDecimal(trade.execution_price)),
    pnl: pnl === null ? '' : formatMoney(pnl),
    problem: text(trade.problem),
  };
}

/** Equity points `{t, value}` (t in epoch ms), oldest first, one per minute, from `/api/v1/team/{id}/history`. */
export function equityPoints(payload) {
  if (!isRecord(payload) || !Array.isArray(payload.history)) return [];
  const byMinute = new Map();
  for (const point of payload.history) {
    if (!isRecord(point) || typeof point.value !== 'number' || !Number.isFinite(point.value)) continue;
    const t = Date.parse(text(point.timestamp));
    if (Number.isFinite(t)) byMinute.set(t, point.value);
  }
  return [...byMinute.entries()].sort((a, b) => a[0] - b[0]).map(([t, value]) => ({ t, value }));
}

/** Adds or replaces the point of its minute, keeping the series sorted and at most `limit` long. */
export function addEquityPoint(points, point, limit = 10_000) {
  if (!Number.isFinite(point.t) || typeof point.value !== 'number' || !Number.isFinite(point.value)) return points;
  const next = points.filter((existing) => existing.t !== point.t);
  next.push(point);
  next.sort((a, b) => a.t - b.t);
  return next.slice(-limit);
}

/** Drawdown from the running peak at every point, as a negative fraction (0 at a new high). */
export function drawdowns(values) {
  let peak = -Infinity;
  return values.map((value) => {
    peak = Math.max(peak, value);
    return peak > 0 ? value / peak - 1 : 0;
  });
}

/**
 * Trade markers aligned with the chart's minutes: for each minute, the equity there when the team
 * bought (or sold) during that minute, else null. `trades` from `/api/v1/team/{id}/trades`.
 */
export function tradeMarkers(points, payload) {
  const buys = points.map(() => null);
  const sells = points.map(() => null);
  const index = new Map(points.map((point, i) => [point.t, i]));
  const trades = isRecord(payload) && Array.isArray(payload.trades) ? payload.trades : [];
  for (const trade of trades) {
    if (!isRecord(trade)) continue;
    const at = Date.parse(text(trade.timestamp));
    if (!Number.isFinite(at)) continue;
    const i = index.get(Math.floor(at / 60_000) * 60_000);
    if (i === undefined) continue;
    if (trade.side === 'sell') sells[i] = points[i].value;
    else buys[i] = points[i].value;
  }
  return { buys, sells };
}

/** Rows of the positions table from `/api/v1/team/{id}/positions`, largest market value first. */
export function positionRows(payload) {
  if (!isRecord(payload) || !Array.isArray(payload.positions)) return [];
  const rows = [];
  for (const position of payload.positions) {
    if (!isRecord(position) || typeof position.symbol !== 'string') continue;
    const value = parseDecimal(position.market_value);
    const cost = parseDecimal(position.cost_basis);
    const unrealized = parseDecimal(position.unrealized_pnl);
    rows.push({
      symbol: position.symbol,
      quantity: typeof position.quantity === 'number' ? position.quantity : 0,
      avgCost: parseDecimal(position.avg_cost),
      lastPrice: parseDecimal(position.last_price),
      value,
      unrealized,
      unrealizedFraction: unrealized !== null && cost ? unrealized / cost : null,
      realized: parseDecimal(position.realized_pnl),
    });
  }
  return rows.sort((a, b) => (b.value ?? 0) - (a.value ?? 0) || a.symbol.localeCompare(b.symbol));
}

/** Cash, reserved cash, equity and the snapshot minute of `/api/v1/team/{id}/positions`. */
export function bookSummary(payload) {
  if (!isRecord(payload)) return null;
  const asOf = Date.parse(text(payload.as_of));
  return { cash: parseDecimal(payload.cash), reserved: parseDecimal(payload.reserved_cash), equity: parseDecimal(payload.equity), asOf: Number.isFinite(asOf) ? asOf : null };
}

/** Rows of the open-orders table from `/api/v1/team/{id}/orders?status=open`. */
export function openOrderRows(payload) {
  if (!isRecord(payload) || !Array.isArray(payload.orders)) return [];
  return payload.orders.filter(isRecord).map((order) => ({
    at: Date.parse(text(order.minute)),
    side: order.side === 'sell' ? 'sell' : 'buy',
    quantity: typeof order.quantity === 'number' ? order.quantity : 0,
    filled: typeof order.filled_quantity === 'number' ? order.filled_quantity : 0,
    symbol: text(order.symbol),
    type: order.order_type === 'limit' ? `limit ${formatMoney(parseDecimal(order.limit_price))}` : 'market',
    status: text(order.status).replace(/_/g, ' '),
  }));
}

/** CPU milliseconds per minute `{t, cpuMs, error}`, oldest first, from `/api/v1/team/{id}/runs`. */
export function cpuPoints(payload) {
  if (!isRecord(payload) || !Array.isArray(payload.runs)) return [];
  return payload.runs
    .filter((run) => isRecord(run) && typeof run.cpu_ms === 'number' && Number.isFinite(run.cpu_ms))
    .map((run) => ({ t: Date.parse(text(run.minute)), cpuMs: run.cpu_ms, error: typeof run.error_kind === 'string' ? run.error_kind : null }))
    .filter((point) => Number.isFinite(point.t))
    .sort((a, b) => a.t - b.t);
}

const shortCommit = (value) => text(value).slice(0, 12);

/**
 * One line of the dashboard's live list for an event of the team's stream (`{id, type, message,
 * event}`), or null for what the list does not show (minutes go to the charts and logs).
 * `details` holds extra lines (a rejected version's first findings).
 */
export function describeTeamEvent(view) {
  const event = isRecord(view) && isRecord(view.event) ? view.event : null;
  if (!event || typeof event.type !== 'string') return null;
  const at = typeof event.at === 'number' ? event.at : Date.now();
  switch (event.type) {
    case 'trade':
      return {
        at,
        kind: event.side === 'sell' ? 'sell' : 'buy',
        text: `${event.side === 'sell' ? 'Sold' : 'Bought'} ${event.quantity} ${text(event.symbol)} at ${formatMoney(event.price)}`,
        details: [],
      };
    case 'order_rejected':
      return { at, kind: 'rejected', text: `Order for ${text(event.symbol)} rejected (${text(event.code)}): ${text(event.message)}`, details: [] };
    case 'strategy_error':
      return { at, kind: 'error', text: `Strategy ${text(event.kind)} error: ${text(event.message)}`, details: [] };
    case 'version_activated':
      return {
        at,
        kind: 'version',
        text: `Version ${shortCommit(event.commit)} ${event.via === 'rollback' ? 'active again (rollback)' : 'is live'}: ${text(event.message)}`,
        details: [],
      };
    case 'version_rejected': {
      const findings = Array.isArray(event.findings) ? event.findings.map(describeFinding).filter((line) => line !== '') : [];
      const more = typeof event.findingsCount === 'number' && event.findingsCount > findings.length ? [`… and ${event.findingsCount - findings.length} more`] : [];
      return { at, kind: 'rejected', text: `Commit ${shortCommit(event.commit)} ${text(event.reason) || 'rejected'}`, details: [...findings, ...more] };
    }
    case 'team_halted':
      return { at, kind: 'halt', text: `Your team was halted: ${text(event.reason)}`, details: [] };
    case 'team_resumed':
      return { at, kind: 'resume', text: 'Your team was resumed', details: [] };
    case 'competition_halted':
      return { at, kind: 'halt', text: `Competition halted: ${text(event.reason)}`, details: [] };
    case 'competition_resumed':
      return { at, kind: 'resume', text: 'Competition resumed', details: [] };
    default:
      return null;
  }
}

/**
 * Server-Sent Events parsing for a stream read with fetch (so the key can go in a header, which
 * EventSource cannot send). Feed it text chunks; it calls `onFrame({id, data})` for each event with
 * data, and returns the last id seen so far through `lastId()`.
 */
export function createSseParser(onFrame) {
  let buffer = '';
  let lastId = null;
  let retry = null;
  const frame = (block) => {
    let data = null;
    let id = null;
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') data = data === null ? value : `${data}\n${value}`;
      else if (field === 'id') id = value;
      else if (field === 'retry' && /^\d+$/.test(value)) retry = Number(value);
    }
    if (id !== null) lastId = id;
    if (data !== null) onFrame({ id, data });
  };
  // A CR at the end of a chunk may be the first half of a CRLF: it waits for the next chunk.
  let heldCr = false;
  return {
    push(chunk) {
      let raw = (heldCr ? '\r' : '') + chunk;
      heldCr = raw.endsWith('\r');
      if (heldCr) raw = raw.slice(0, -1);
      buffer += raw.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        frame(block);
      }
    },
    lastId: () => lastId,
    retry: () => retry,
  };
}
