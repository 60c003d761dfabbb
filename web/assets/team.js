/* global document, window */
// The team dashboard: a team's own status, metrics, trades, rejected orders and logs, from the team
// endpoints with its key (kept in sessionStorage for this tab, sent as Authorization: Bearer).
import { el, setText, sparkline } from './dom.js';
import { direction, formatDrawdown, formatMarketClock, formatMarketMinute, formatMoney, formatRatio, formatSignedPercent } from './format.js';
import { getJson } from './live.js';
import { decodeLeaderboard } from './model.js';
import { decodeSession, describeFailure, equitySeries, latestFindings, logLines, strategyFacts, TEAM_ID_PATTERN, tradeCells } from './team-model.js';

const SESSION_KEY = 'qtc.team';
const REFRESH_MS = 30_000;
const LOG_PAGE = 20;

const $ = (id) => document.getElementById(id);
const signIn = $('sign-in');
const dashboard = $('dashboard');
const message = $('message');

let session = decodeSession(sessionStorage.getItem(SESSION_KEY));
let refreshTimer = null;
let logsBefore = null;
/** Team names from the public leaderboard, by id. */
const teamNames = new Map();

const teamPath = (suffix) => `/api/v1/team/${encodeURIComponent(session.teamId)}${suffix}`;
const api = (suffix) => getJson(teamPath(suffix), { authorization: `Bearer ${session.key}` });

function facts(list, pairs) {
  list.replaceChildren(...pairs.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, value)]));
}

function showMetrics(payload, history) {
  const m = payload?.metrics ?? {};
  const equity = typeof m.current_value === 'number' ? m.current_value : null;
  facts($('metrics'), [
    ['Equity', formatMoney(equity)],
    ['Return', formatSignedPercent(m.total_return)],
    ['Sharpe', formatRatio(m.sharpe_ratio)],
    ['Sortino', formatRatio(m.sortino_ratio)],
    ['Max drawdown', formatDrawdown(m.max_drawdown)],
    ['Current drawdown', formatDrawdown(m.current_drawdown)],
    ['Win rate', typeof m.win_rate === 'number' ? formatDrawdown(m.win_rate) : '—'],
    ['Closed trades', String(m.total_trades ?? 0)],
  ]);
  const returnValue = $('metrics').querySelectorAll('dd')[1];
  returnValue.className = direction(m.total_return);
  $('equity-chart').replaceChildren(sparkline(equitySeries(history)));
}

function showStrategy(strategy) {
  facts($('strategy'), strategyFacts(strategy));
  const findings = latestFindings(strategy);
  $('findings-block').hidden = findings.length === 0;
  $('findings').replaceChildren(...findings.map((line) => el('li', {}, line)));
}

function showTrades(payload) {
  const rows = (Array.isArray(payload?.trades) ? payload.trades : []).map(tradeCells).filter(Boolean);
  $('trades').replaceChildren(
    ...rows.map((trade) =>
      el(
        'tr',
        {},
        el('td', {}, formatMarketMinute(trade.at)),
        el('td', { class: trade.side === 'buy' ? 'up' : 'down' }, trade.side === 'buy' ? 'Buy' : 'Sell'),
        el('td', { class: 'num' }, trade.quantity),
        el('td', {}, trade.symbol),
        el('td', { class: 'num' }, trade.price),
        el('td', { class: 'num' }, trade.problem ? `not applied: ${trade.problem}` : trade.pnl),
      ),
    ),
  );
  $('trades-empty').hidden = rows.length > 0;
}

function showRejected(payload) {
  const orders = Array.isArray(payload?.orders) ? payload.orders : [];
  $('rejected').replaceChildren(
    ...orders.map((order) =>
      el(
        'li',
        { class: 'rejected' },
        el('time', {}, formatMarketMinute(Date.parse(order.minute))),
        ` ${order.side} ${order.quantity} ${order.symbol}: ${order.broker_reason ?? order.reason ?? 'rejected'}`,
      ),
    ),
  );
  $('rejected-empty').hidden = orders.length > 0;
}

function logItem(line) {
  return el('li', { class: line.level }, el('time', {}, formatMarketClock(line.minute)), el('span', { class: 'level' }, line.level), line.message);
}

function showLogs(payload, append) {
  const lines = logLines(payload);
  if (append) $('logs').append(...lines.map(logItem));
  else $('logs').replaceChildren(...lines.map(logItem));
  logsBefore = typeof payload?.next_before === 'string' ? payload.next_before : null;
  $('older-logs').hidden = logsBefore === null;
  $('logs-empty').hidden = $('logs').childElementCount > 0;
}

function sectionFailed(target, error) {
  target.replaceChildren(el('li', { class: 'error-text' }, describeFailure(error.status ?? 0, error.message)));
}

async function refresh() {
  if (!session) return;
  let strategy;
  try {
    // The first answer also says whether the key is good for this team.
    strategy = await api('/strategy');
  } catch (error) {
    // A refused key ends the session: the person must enter a working one.
    if (error.status === 401 || error.status === 403) signOut(describeFailure(error.status, error.message));
    else setText(message, describeFailure(error.status ?? 0, error.message));
    return;
  }
  setText(message, '');
  signIn.hidden = true;
  dashboard.hidden = false;
  const name = teamNames.get(session.teamId);
  setText($('team-name'), name && name !== session.teamId ? `${name} (${session.teamId})` : session.teamId);
  showStrategy(strategy);
  const [metrics, history, trades, rejected, logs] = await Promise.allSettled([
    api('/metrics'),
    api('/history?days=7&limit=1000'),
    api('/trades?limit=25'),
    api('/orders?status=rejected&limit=10'),
    api(`/logs?limit=${LOG_PAGE}`),
  ]);
  if (metrics.status === 'fulfilled') showMetrics(metrics.value, history.status === 'fulfilled' ? history.value : null);
  else sectionFailed($('metrics'), metrics.reason);
  if (trades.status === 'fulfilled') showTrades(trades.value);
  else sectionFailed($('trades'), trades.reason);
  if (rejected.status === 'fulfilled') showRejected(rejected.value);
  else sectionFailed($('rejected'), rejected.reason);
  if (logs.status === 'fulfilled') showLogs(logs.value, false);
  else sectionFailed($('logs'), logs.reason);
  setText($('refreshed'), `Updated ${formatMarketMinute(Date.now())}`);
}

function signOut(reason = '') {
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  if (refreshTimer !== null) window.clearInterval(refreshTimer);
  refreshTimer = null;
  dashboard.hidden = true;
  signIn.hidden = false;
  $('team-key').value = '';
  setText(message, reason);
}

function open(teamId, key) {
  session = { teamId, key };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  void refresh();
  if (refreshTimer === null) refreshTimer = window.setInterval(() => void refresh(), REFRESH_MS);
}

async function suggestTeams() {
  try {
    const board = decodeLeaderboard(await getJson('/leaderboard'));
    for (const row of board?.rows ?? []) teamNames.set(row.teamId, row.name);
    $('team-ids').replaceChildren(...(board?.rows ?? []).map((row) => el('option', { value: row.teamId }, row.name)));
  } catch {
    // Suggestions only: the id can still be typed.
  }
}

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const teamId = $('team-id').value.trim();
  const key = $('team-key').value.trim();
  if (!TEAM_ID_PATTERN.test(teamId)) {
    setText(message, 'A team id is 2-32 lower-case letters, digits and dashes, as on the leaderboard.');
    return;
  }
  open(teamId, key);
});
$('sign-out').addEventListener('click', () => signOut('Key forgotten in this tab.'));
$('refresh').addEventListener('click', () => void refresh());
$('older-logs').addEventListener('click', async () => {
  if (!session || logsBefore === null) return;
  try {
    showLogs(await api(`/logs?limit=${LOG_PAGE}&before=${encodeURIComponent(logsBefore)}`), true);
  } catch (error) {
    setText(message, describeFailure(error.status ?? 0, error.message));
  }
});

const requestedTeam = new URLSearchParams(window.location.search).get('team');
if (requestedTeam && TEAM_ID_PATTERN.test(requestedTeam)) $('team-id').value = requestedTeam;
// Names first, so the dashboard title can show the team's name.
void suggestTeams().then(() => {
  if (session) open(session.teamId, session.key);
});
