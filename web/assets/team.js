/* global document, window */
// The team dashboard: a team's own equity (chart with its trades, drawdown), positions, open orders,
// strategy status with CPU per minute, trades, rejected orders and logs, from the team endpoints with
// its key (kept in sessionStorage for this tab, sent as Authorization: Bearer). Live: the team's own
// stream (GET /api/v1/team/{id}/stream) brings every minute, trade, rejection, error and version as
// it happens; each event refreshes only what it changed. No polling.
import { el, setText } from './dom.js';
import { direction, formatDrawdown, formatMarketClock, formatMarketMinute, formatMoney, formatRatio, formatSignedPercent, returnDirection } from './format.js';
import { getJson } from './live.js';
import { decodeLeaderboard } from './model.js';
import { createCpuChart, createEquityCharts } from './team-charts.js';
import {
  addEquityPoint,
  bookSummary,
  cpuPoints,
  decodeSession,
  describeFailure,
  describeTeamEvent,
  drawdowns,
  equityPoints,
  latestFindings,
  logLines,
  openOrderRows,
  positionRows,
  strategyFacts,
  TEAM_ID_PATTERN,
  tradeCells,
  tradeMarkers,
} from './team-model.js';
import { followTeamStream } from './team-stream.js';

const SESSION_KEY = 'qtc.team';
const LOG_PAGE = 20;
const LOG_LIMIT = 500;
const LIVE_LIMIT = 50;
const CPU_LIMIT = 240;
/** A section is fetched again at most this often however many events ask for it. */
const REFETCH_GAP_MS = 1_500;

const $ = (id) => document.getElementById(id);
const signIn = $('sign-in');
const dashboard = $('dashboard');
const message = $('message');

let session = decodeSession(sessionStorage.getItem(SESSION_KEY));
let logsBefore = null;
let stopStream = null;
let charts = null;
let equity = [];
let tradesPayload = null;
let cpu = [];
/** Newest market minute the page has shown (ms), to keep "as of" from going back. */
let asOf = null;
/** Team names from the public leaderboard, by id. */
const teamNames = new Map();

const teamPath = (suffix) => `/api/v1/team/${encodeURIComponent(session.teamId)}${suffix}`;
const api = (suffix) => getJson(teamPath(suffix), { authorization: `Bearer ${session.key}` });

function facts(list, pairs) {
  list.replaceChildren(...pairs.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, value)]));
}

function sectionFailed(target, error) {
  target.replaceChildren(el('li', { class: 'error-text' }, describeFailure(error.status ?? 0, error.message)));
}

function showAsOf(minute) {
  if (minute === null || !Number.isFinite(minute) || (asOf !== null && minute < asOf)) return;
  asOf = minute;
  setText($('as-of'), `Books as of ${formatMarketMinute(minute)} (market time).`);
}

const CONNECTION_TEXT = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…' };
function setConnection(state) {
  $('connection').dataset.state = state;
  setText($('connection'), CONNECTION_TEXT[state] ?? state);
}

// ---- charts -------------------------------------------------------------------------------------

function ensureCharts() {
  if (charts !== null) return;
  charts = { equity: createEquityCharts($('equity-chart'), $('drawdown-chart')), cpu: createCpuChart($('cpu-chart')) };
}

function drawEquity() {
  if (charts === null) return;
  charts.equity.update(equity, tradeMarkers(equity, tradesPayload), drawdowns(equity.map((point) => point.value)));
  $('chart-empty').hidden = equity.length > 0;
}

function drawCpu() {
  charts?.cpu.update(cpu);
}

// ---- sections -----------------------------------------------------------------------------------

function showMetrics(payload) {
  const m = payload?.metrics ?? {};
  facts($('metrics'), [
    ['Equity', formatMoney(typeof m.current_value === 'number' ? m.current_value : null)],
    ['Return', formatSignedPercent(m.total_return)],
    ['Sharpe', formatRatio(m.sharpe_ratio)],
    ['Sortino', formatRatio(m.sortino_ratio)],
    ['Max drawdown', formatDrawdown(m.max_drawdown)],
    ['Current drawdown', formatDrawdown(m.current_drawdown)],
    ['Win rate', typeof m.win_rate === 'number' ? formatDrawdown(m.win_rate) : '—'],
    ['Closed trades', String(m.total_trades ?? 0)],
  ]);
  $('metrics').querySelectorAll('dd')[1].className = returnDirection(m.total_return);
}

function showStrategy(strategy) {
  facts($('strategy'), strategyFacts(strategy));
  const findings = latestFindings(strategy);
  $('findings-block').hidden = findings.length === 0;
  $('findings').replaceChildren(...findings.map((line) => el('li', {}, line)));
}

const signed = (value) => el('td', { class: `num ${direction(value)}` }, formatMoney(value));

function showPositions(payload) {
  const rows = positionRows(payload);
  $('positions').replaceChildren(
    ...rows.map((row) =>
      el(
        'tr',
        { 'data-symbol': row.symbol },
        el('th', { scope: 'row' }, row.symbol),
        el('td', { class: 'num' }, String(row.quantity)),
        el('td', { class: 'num' }, formatMoney(row.avgCost)),
        el('td', { class: 'num' }, formatMoney(row.lastPrice)),
        el('td', { class: 'num' }, formatMoney(row.value)),
        el('td', { class: `num ${direction(row.unrealized)}` }, row.unrealized === null ? '—' : `${formatMoney(row.unrealized)} (${formatSignedPercent(row.unrealizedFraction)})`),
        signed(row.realized),
      ),
    ),
  );
  $('positions-empty').hidden = rows.length > 0;
  const book = bookSummary(payload);
  if (book) {
    facts($('book'), [
      ['Cash', formatMoney(book.cash)],
      ['Reserved for open buys', formatMoney(book.reserved)],
    ]);
    showAsOf(book.asOf);
  }
}

function showOpenOrders(payload) {
  const rows = openOrderRows(payload);
  $('open-orders').replaceChildren(
    ...rows.map((order) =>
      el(
        'tr',
        {},
        el('td', {}, formatMarketMinute(order.at)),
        el('td', { class: order.side === 'buy' ? 'up' : 'down' }, order.side === 'buy' ? 'Buy' : 'Sell'),
        el('td', { class: 'num' }, String(order.quantity)),
        el('td', {}, order.symbol),
        el('td', {}, order.type),
        el('td', {}, order.status),
        el('td', { class: 'num' }, String(order.filled)),
      ),
    ),
  );
  $('open-orders-empty').hidden = rows.length > 0;
}

function showTrades(payload) {
  tradesPayload = payload;
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
  drawEquity();
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

// ---- fetching -----------------------------------------------------------------------------------

/** What each section fetches and how it is shown. */
const SECTIONS = {
  metrics: { path: () => '/metrics', show: showMetrics, target: () => $('metrics') },
  history: {
    path: () => '/history?days=7&limit=5000',
    show: (payload) => {
      equity = equityPoints(payload);
      drawEquity();
    },
    target: () => $('metrics'),
  },
  trades: { path: () => '/trades?limit=100', show: showTrades, target: () => $('trades') },
  rejected: { path: () => '/orders?status=rejected&limit=10', show: showRejected, target: () => $('rejected') },
  openOrders: { path: () => '/orders?status=open&limit=50', show: showOpenOrders, target: () => $('open-orders') },
  positions: { path: () => '/positions', show: showPositions, target: () => $('positions') },
  strategy: { path: () => '/strategy', show: showStrategy, target: () => $('strategy') },
  runs: {
    path: () => `/runs?limit=${CPU_LIMIT}`,
    show: (payload) => {
      cpu = cpuPoints(payload);
      drawCpu();
    },
    target: () => $('strategy'),
  },
  logs: { path: () => `/logs?limit=${LOG_PAGE}`, show: (payload) => showLogs(payload, false), target: () => $('logs') },
};

async function fetchSection(name) {
  if (!session) return;
  const section = SECTIONS[name];
  try {
    section.show(await api(section.path()));
  } catch (error) {
    if (error.status === 401 || error.status === 403) signOut(describeFailure(error.status, error.message));
    else sectionFailed(section.target(), error);
  }
}

/** Fetches a section again soon: many events within a moment cost one request. */
const scheduled = new Map();
function refetch(name) {
  const entry = scheduled.get(name) ?? { timer: null, last: 0 };
  scheduled.set(name, entry);
  if (entry.timer !== null) return;
  const wait = Math.max(0, entry.last + REFETCH_GAP_MS - Date.now());
  entry.timer = window.setTimeout(() => {
    entry.timer = null;
    entry.last = Date.now();
    void fetchSection(name);
  }, wait);
}

async function loadAll() {
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
  ensureCharts();
  charts.equity.fit();
  charts.cpu.fit();
  const name = teamNames.get(session.teamId);
  setText($('team-name'), name && name !== session.teamId ? `${name} (${session.teamId})` : session.teamId);
  showStrategy(strategy);
  await Promise.all(['metrics', 'history', 'trades', 'rejected', 'openOrders', 'positions', 'runs', 'logs'].map(fetchSection));
}

// ---- the live stream ----------------------------------------------------------------------------

function addLiveItem(line) {
  // Market time everywhere: a trade at its fill, anything else at the market minute the page is at
  // (a push or a halt happens in wall-clock time, which a simulated or replayed market does not share).
  const at = line.kind === 'buy' || line.kind === 'sell' || asOf === null ? line.at : asOf;
  const item = el(
    'li',
    { class: `${line.kind} fresh` },
    el('time', { datetime: new Date(at).toISOString() }, formatMarketClock(at)),
    line.text,
    line.details.length > 0 ? el('ul', { class: 'details' }, ...line.details.map((detail) => el('li', {}, detail))) : null,
  );
  $('live-events').prepend(item);
  while ($('live-events').childElementCount > LIVE_LIMIT) $('live-events').lastElementChild?.remove();
  $('live-empty').hidden = true;
}

function onMinute(event) {
  if (typeof event.minute !== 'number') return;
  if (typeof event.equity === 'number') {
    equity = addEquityPoint(equity, { t: event.minute, value: event.equity });
    drawEquity();
  }
  if (typeof event.cpuMs === 'number') {
    cpu = [...cpu.filter((point) => point.t !== event.minute), { t: event.minute, cpuMs: event.cpuMs, error: event.error?.kind ?? null }].slice(-CPU_LIMIT);
    drawCpu();
  }
  const lines = Array.isArray(event.logs) ? event.logs : [];
  if (lines.length > 0) {
    // Newest first, as the list reads.
    $('logs').prepend(...lines.map((line) => logItem({ minute: event.minute, level: line.level, message: line.message })));
    while ($('logs').childElementCount > LOG_LIMIT) $('logs').lastElementChild?.remove();
    $('logs-empty').hidden = true;
  }
  showAsOf(event.minute);
  refetch('metrics');
  refetch('positions');
}

function onStreamEvent(view) {
  const event = view?.event;
  if (!event || typeof event.type !== 'string') return;
  if (event.type === 'minute') {
    onMinute(event);
    return;
  }
  const line = describeTeamEvent(view);
  if (line) addLiveItem(line);
  switch (event.type) {
    case 'trade':
      for (const name of ['trades', 'positions', 'openOrders', 'metrics']) refetch(name);
      break;
    case 'order_rejected':
      refetch('rejected');
      refetch('openOrders');
      break;
    default:
      // Errors, versions and halts change the strategy's status.
      refetch('strategy');
  }
}

function startStream() {
  stopStream?.();
  const key = session.key;
  stopStream = followTeamStream({
    url: teamPath('/stream'),
    key,
    onEvent: onStreamEvent,
    onState: setConnection,
    onRefused: (status, text) => signOut(describeFailure(status, text)),
  });
}

// ---- session ------------------------------------------------------------------------------------

function signOut(reason = '') {
  session = null;
  sessionStorage.removeItem(SESSION_KEY);
  stopStream?.();
  stopStream = null;
  dashboard.hidden = true;
  signIn.hidden = false;
  $('team-key').value = '';
  $('live-events').replaceChildren();
  $('live-empty').hidden = false;
  equity = [];
  cpu = [];
  asOf = null;
  setText(message, reason);
}

async function open(teamId, key) {
  session = { teamId, key };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  await loadAll();
  if (session) startStream();
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
  void open(teamId, key);
});
$('sign-out').addEventListener('click', () => signOut('Key forgotten in this tab.'));
$('refresh').addEventListener('click', () => void loadAll());
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
  if (session) void open(session.teamId, session.key);
});
