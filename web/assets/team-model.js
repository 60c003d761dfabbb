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
    facts.push(['Latest commit', `${text(latest.commit).slice(0, 12)} rejected at ${text(latest.rejected_at_stage) || 'evaluation'}${latest.error ? `: ${text(latest.error)}` : ''}`]);
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
