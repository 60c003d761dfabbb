// What the admin console shows, decoded from the admin endpoints. Pure (no DOM), unit-tested in
// tests/unit/web. Everything a team wrote (names, commit messages, errors, findings) comes out as plain
// strings for text nodes.
import { formatMarketMinute, MISSING } from './format.js';

/** @param {unknown} value */
const isRecord = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);
/** @param {unknown} value */
const text = (value) => (typeof value === 'string' ? value : '');
/** @param {unknown} value */
const isNumber = (value) => typeof value === 'number' && Number.isFinite(value);

export const SESSION_KEY = 'qtc.admin';

/** The admin key as kept in sessionStorage, or null when absent or malformed. */
export function decodeAdminSession(raw) {
  if (typeof raw !== 'string') return null;
  try {
    const value = JSON.parse(raw);
    if (isRecord(value) && typeof value.key === 'string' && value.key.trim() !== '') return { key: value.key };
  } catch {
    // Not ours: treated as signed out.
  }
  return null;
}

/** What to tell the admin when a request fails. */
export function describeAdminFailure(status, message) {
  switch (status) {
    case 401:
      return `The admin key was not accepted (${message}). It is one of the server's QTC_ADMIN_KEYS; without any, the admin API refuses every request.`;
    case 403:
      return `This is not an admin key (${message}).`;
    case 429:
      return `Too many requests for now (${message}). Wait a minute and try again.`;
    case 0:
      return `The server could not be reached (${message}).`;
    default:
      return `The server answered ${status}: ${message}`;
  }
}

/** ISO time to "Nov 21, 14:31 ET"; an em dash when missing. */
export function formatWhen(iso) {
  if (typeof iso !== 'string') return MISSING;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? formatMarketMinute(ms) : MISSING;
}

const shortSha = (sha) => text(sha).slice(0, 8);

/** One line per static-check or compile finding: "strategy.ts:12:5 rule: message — hint". */
export function describeFinding(finding) {
  if (!isRecord(finding)) return '';
  const where = finding.file ? `${text(finding.file)}:${finding.line}:${finding.column} ` : '';
  const hint = finding.hint ? ` — ${text(finding.hint)}` : '';
  return `${where}${text(finding.rule)}: ${text(finding.message)}${hint}`;
}

/** Registry errors as "line:column path: message" (no position when the error is not in the file). */
export function registryErrorLines(status) {
  const errors = isRecord(status) && isRecord(status.lastError) && Array.isArray(status.lastError.errors) ? status.lastError.errors : [];
  return errors.filter(isRecord).map((error) => {
    const where = isNumber(error.line) && error.line > 0 ? `${error.line}:${error.column} ` : '';
    const path = error.path ? `${text(error.path)}: ` : '';
    return `${where}${path}${text(error.message)}`;
  });
}

/** The facts of the registry section. */
export function registryFacts(status) {
  if (!isRecord(status)) return [];
  const lastError = isRecord(status.lastError) ? `rejected ${formatWhen(status.lastError.at)} (the registry in force stays)` : 'none';
  return [
    ['File', text(status.file)],
    ['Loaded', formatWhen(status.loadedAt)],
    ['Teams', isNumber(status.teams) ? String(status.teams) : MISSING],
    ['Last rejected edit', lastError],
  ];
}

/**
 * A row of the teams table from `GET /api/v1/admin/status`: state tags (disabled, removed, halted,
 * quarantined) and one line each for the active version, the latest evaluation and the last error.
 */
export function teamRow(team) {
  if (!isRecord(team) || typeof team.id !== 'string') return null;
  const tags = [];
  if (team.removed_at) tags.push({ tag: 'removed', title: `removed from the registry ${formatWhen(team.removed_at)}` });
  else if (team.enabled === false) tags.push({ tag: 'disabled', title: 'disabled in the registry' });
  else tags.push({ tag: 'enabled', title: 'enabled in the registry' });
  if (isRecord(team.halt)) tags.push({ tag: 'halted', title: `halted ${formatWhen(team.halt.halted_at)} by ${text(team.halt.halted_by)}: ${text(team.halt.reason)}` });
  if (isRecord(team.quarantine) && team.quarantine.quarantined) tags.push({ tag: 'quarantined', title: text(team.quarantine.reason) || 'quarantined by the sandbox' });

  const active = isRecord(team.active_version)
    ? `#${team.active_version.id} ${shortSha(team.active_version.commit)} ${text(team.active_version.message)}${team.active_version.reason === 'rollback' ? ' (rolled back)' : ''}`
    : 'none';
  let latest = MISSING;
  if (isRecord(team.latest_version)) {
    const v = team.latest_version;
    const status = v.status === 'rejected' ? `rejected at ${text(v.rejected_at_stage) || '?'}` : text(v.status);
    const findings = isNumber(v.findings) && v.findings > 0 ? `, ${v.findings} finding${v.findings === 1 ? '' : 's'}` : '';
    latest = `#${v.id} ${shortSha(v.commit)} ${status}${findings}`;
  }
  const sync =
    isRecord(team.git_sync) && team.git_sync.error ? `Git sync failing (${text(team.git_sync.error_kind)}, ${team.git_sync.failures}×): ${text(team.git_sync.error)}` : '';
  const lastError = isRecord(team.last_error) ? `${formatWhen(team.last_error.minute)} ${text(team.last_error.kind)}: ${text(team.last_error.message)}` : '';
  return {
    id: team.id,
    name: text(team.name) || team.id,
    tags,
    halted: isRecord(team.halt),
    removed: Boolean(team.removed_at),
    active,
    latest,
    problems: [sync, lastError].filter((line) => line !== ''),
    keys: isNumber(team.working_keys) ? team.working_keys : 0,
    lastRun: formatWhen(team.last_run_at),
  };
}

/** "Running" or "Halted since … by …: reason". */
export function competitionState(status) {
  const halt = isRecord(status) && isRecord(status.competition) ? status.competition.halt : null;
  if (!isRecord(halt)) return { halted: false, text: 'Running: strategies run and orders are sent every market minute.' };
  return { halted: true, text: `Halted since ${formatWhen(halt.halted_at)} by ${text(halt.halted_by)}: ${text(halt.reason)}` };
}

/** A key of `GET /api/v1/admin/keys` for the keys table; which actions make sense for it. */
export function keyRow(key) {
  if (!isRecord(key) || typeof key.keyId !== 'string') return null;
  const status = text(key.status);
  const until = status === 'grace' ? ` until ${formatWhen(key.expiresAt)}` : '';
  return {
    keyId: key.keyId,
    status: `${status}${until}`,
    created: `${formatWhen(key.createdAt)} by ${text(key.createdBy)}`,
    lastUsed: key.lastUsedAt ? formatWhen(key.lastUsedAt) : 'never',
    canRotate: status === 'active',
    canRevoke: status === 'active' || status === 'grace',
  };
}

/** A version of `GET /api/v1/admin/teams/{id}/versions`: its line, findings and error, and whether it can be rolled back to. */
export function versionRow(version) {
  if (!isRecord(version) || !isNumber(version.id)) return null;
  const status = version.status === 'rejected' ? `rejected at ${text(version.rejectedAtStage) || '?'}` : text(version.status);
  const subject = text(version.message).split('\n')[0] ?? '';
  return {
    id: version.id,
    title: `#${version.id} ${shortSha(version.commitSha)} ${subject}`,
    meta: `${status} · ${text(version.authorName)} · committed ${formatWhen(version.committedAt)} · evaluated ${formatWhen(version.evaluatedAt)}`,
    status: text(version.status),
    findings: Array.isArray(version.findings) ? version.findings.map(describeFinding).filter((line) => line !== '') : [],
    error: text(version.error),
    canRollBack: version.status === 'superseded',
  };
}

/** One line per result of `POST /api/v1/admin/sync`. */
export function syncResultLines(payload) {
  const results = isRecord(payload) && Array.isArray(payload.results) ? payload.results : [];
  if (results.length === 0) return ['No enabled team to sync.'];
  return results.filter(isRecord).map((result) => {
    const team = text(result.team_id) || text(result.teamId);
    const sha = shortSha(result.sha);
    switch (result.outcome) {
      case 'unchanged':
        return `${team}: up to date (${sha})`;
      case 'activated':
        return `${team}: ${sha} passed every stage and is now active (#${result.version_id})`;
      case 'rejected':
        return `${team}: ${sha} was rejected (#${result.version_id})${Array.isArray(result.findings) && result.findings.length > 0 ? `, ${result.findings.length} finding(s)` : ''}${result.error ? `: ${text(result.error)}` : ''}`;
      case 'failed':
        return `${team}: sync failed (${text(result.kind)}): ${text(result.error)}`;
      default:
        return `${team}: ${text(result.outcome)}`;
    }
  });
}

const DISCREPANCY = { missing_locally: 'held at the broker, in no team book', missing_at_broker: 'in team books, not at the broker', quantity_mismatch: 'quantities differ' };
const MONEY_FIELDS = new Set(['cash', 'reservedCash', 'realizedPnl', 'costBasis', 'positionRealizedPnl']);
const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });

/** The reconciliation section: the latest report, unattributed broker events and (when asked) the book audit. */
export function reconciliationView(payload) {
  const report = isRecord(payload) && isRecord(payload.report) ? payload.report : null;
  const lines = [];
  let summary;
  if (report === null) summary = 'No reconciliation has run yet (it compares the broker account with the sum of the team books).';
  else {
    const discrepancies = Array.isArray(report.discrepancies) ? report.discrepancies.filter(isRecord) : [];
    summary = `${formatWhen(report.checkedAt)} against ${text(report.broker)}: ${discrepancies.length === 0 ? 'the broker and the books agree' : `${discrepancies.length} discrepanc${discrepancies.length === 1 ? 'y' : 'ies'}`}`;
    for (const d of discrepancies) lines.push(`${text(d.symbol)}: ${DISCREPANCY[d.kind] ?? text(d.kind)} (broker ${d.brokerQuantity}, books ${d.booksQuantity})`);
  }
  const unattributed = isRecord(payload) && Array.isArray(payload.unattributed) ? payload.unattributed.filter(isRecord) : [];
  const events = unattributed.map(
    (event) =>
      `${isNumber(event.receivedAt) ? formatMarketMinute(event.receivedAt) : MISSING} ${text(event.kind)} ${text(event.clientOrderId) || text(event.brokerOrderId) || text(event.executionId)}: ${text(event.reason)}`,
  );
  let audit = null;
  if (isRecord(payload) && Array.isArray(payload.audit)) {
    const value = (field, n) => (MONEY_FIELDS.has(field) && isNumber(n) ? usd.format(n / 10_000) : String(n));
    audit = payload.audit
      .filter(isRecord)
      .map((f) => `${text(f.teamId)}${f.symbol ? ` ${text(f.symbol)}` : ''} ${text(f.field)}: stored ${value(f.field, f.stored)}, from fills ${value(f.field, f.expected)}`);
  }
  return { summary, discrepancies: lines, unattributed: events, audit };
}

/** A tick of `GET /api/v1/admin/ticks` for the table. */
export function tickRow(tick) {
  if (!isRecord(tick) || typeof tick.minute !== 'string') return null;
  const stageMs = isRecord(tick.stage_ms) ? tick.stage_ms : {};
  return {
    minute: formatWhen(tick.minute),
    status: text(tick.status),
    attempts: isNumber(tick.attempts) ? String(tick.attempts) : MISSING,
    teams: `${isNumber(tick.teams_run) ? tick.teams_run : MISSING}/${isNumber(tick.teams) ? tick.teams : MISSING}`,
    totalMs: isNumber(stageMs.total) ? `${Math.round(stageMs.total)} ms` : MISSING,
    errors: isNumber(tick.errors) ? String(tick.errors) : '0',
  };
}
