/* global document */
// The public leaderboard page: first board from GET /leaderboard, then every tick's board over the
// WebSocket (polling while it is down), and the activity ticker from the SSE stream.
import { el, setText, sparkline } from './dom.js';
import { formatDrawdown, formatMarketClock, formatMarketMinute, formatMoney, formatRatio, formatSignedPercent, returnDirection } from './format.js';
import { followActivity, followLeaderboard, getJson } from './live.js';
import { changedTeams, decodeHistory, decodeLeaderboard, nextSeries, summarise } from './model.js';
import { createTicker } from './ticker.js';

const ACTIVITY_LIMIT = 50;
/** A screen reader hears the board at most this often unless the leader changes. */
const ANNOUNCE_EVERY_MS = 60_000;

const rowsBody = document.getElementById('board-rows');
const statusLine = document.getElementById('board-status');
const announcer = document.getElementById('board-announce');
const connection = document.getElementById('connection');
const haltedBanner = document.getElementById('halted');
const activityList = document.getElementById('activity');
const activityEmpty = document.getElementById('activity-empty');

/** @type {ReturnType<typeof decodeLeaderboard>} */
let current = null;
const series = new Map();
const rowsByTeam = new Map();
const names = new Map();
let lastAnnouncement = { at: 0, leader: '' };
const ticker = createTicker((teamId) => names.get(teamId) ?? teamId);
/** Ticker lines on the page by key (a summed line is updated in place). */
const tickerItems = new Map();

const CONNECTION_TEXT = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting… (checking every 10 s meanwhile)',
  polling: 'Updating every 10 s',
};

function setConnection(state) {
  connection.dataset.state = state;
  setText(connection, CONNECTION_TEXT[state] ?? state);
}

function cell(field, className) {
  return el('td', { 'data-field': field, class: className });
}

function createRow(teamId) {
  const teamCell = el('th', { scope: 'row', class: 'team', 'data-field': 'team' });
  const tr = el(
    'tr',
    { 'data-team-id': teamId },
    cell('rank', 'num'),
    teamCell,
    cell('equity', 'num'),
    cell('return', 'num'),
    cell('sharpe', 'num'),
    cell('drawdown', 'num'),
    cell('trend', 'trend'),
  );
  rowsByTeam.set(teamId, tr);
  return tr;
}

function fieldOf(tr, field) {
  return tr.querySelector(`[data-field="${field}"]`);
}

function fillRow(tr, row, values) {
  setText(fieldOf(tr, 'rank'), String(row.rank));
  const team = fieldOf(tr, 'team');
  const tags = [row.halted ? 'halted' : null, row.ranked ? null : 'unranked'].filter(Boolean);
  team.replaceChildren(
    document.createTextNode(row.name),
    ...tags.map((tag) => el('span', { class: 'tag' }, tag)),
    row.name === row.teamId ? '' : el('span', { class: 'id' }, row.teamId),
  );
  setText(fieldOf(tr, 'equity'), formatMoney(row.equity));
  const returnCell = fieldOf(tr, 'return');
  setText(returnCell, formatSignedPercent(row.totalReturn));
  returnCell.className = `num ${returnDirection(row.totalReturn)}`;
  setText(fieldOf(tr, 'sharpe'), formatRatio(row.sharpe));
  setText(fieldOf(tr, 'drawdown'), formatDrawdown(row.maxDrawdown));
  fieldOf(tr, 'trend').replaceChildren(sparkline(values));
}

function flash(tr) {
  tr.classList.remove('changed');
  void tr.offsetWidth; // restarts the CSS animation
  tr.classList.add('changed');
}

function announce(board) {
  setText(statusLine, summarise(board, formatMarketMinute));
  const text = summarise(board, formatMarketClock);
  // The visible line follows every minute; the live region speaks when the leader changes, else once a minute.
  const leader = board.rows[0]?.teamId ?? '';
  const now = Date.now();
  if (leader !== lastAnnouncement.leader || now - lastAnnouncement.at >= ANNOUNCE_EVERY_MS) {
    lastAnnouncement = { at: now, leader };
    setText(announcer, text);
  }
}

function render(payload) {
  const board = decodeLeaderboard(payload);
  if (!board) {
    console.warn('ignored a message that is not a leaderboard');
    return;
  }
  // A late poll answer must not roll the board back to an older minute.
  if (current?.minute !== null && current?.minute !== undefined && board.minute !== null && board.minute < current.minute) return;
  const newMinute = current === null || board.minute !== current.minute;
  const changed = current === null ? new Set() : changedTeams(current, board);
  const seen = new Set();
  for (const row of board.rows) {
    seen.add(row.teamId);
    names.set(row.teamId, row.name);
    const values = nextSeries(series.get(row.teamId), row, newMinute);
    series.set(row.teamId, values);
    const tr = rowsByTeam.get(row.teamId) ?? createRow(row.teamId);
    fillRow(tr, row, values);
    rowsBody.append(tr); // appending an existing row moves it: the body ends up in rank order
    if (changed.has(row.teamId)) flash(tr);
  }
  for (const [teamId, tr] of rowsByTeam) {
    if (!seen.has(teamId)) {
      tr.remove();
      rowsByTeam.delete(teamId);
    }
  }
  haltedBanner.hidden = !board.competitionHalted;
  ticker.setMarketMinute(board.minute);
  current = board;
  announce(board);
}

function addActivity(data) {
  const line = ticker.push(data);
  if (!line) return;
  const shown = tickerItems.get(line.key);
  if (line.replace && shown?.isConnected) {
    setText(shown.lastChild, line.text);
    return;
  }
  const item = el('li', { class: line.kind }, el('time', { datetime: new Date(line.at).toISOString() }, formatMarketClock(line.at)), el('span', {}, line.text));
  activityList.prepend(item);
  tickerItems.set(line.key, item);
  while (activityList.childElementCount > ACTIVITY_LIMIT) activityList.lastElementChild?.remove();
  for (const [key, element] of tickerItems) if (!element.isConnected) tickerItems.delete(key);
  activityEmpty.hidden = true;
}

async function loadHistory() {
  try {
    const history = decodeHistory(await getJson('/api/v1/leaderboard/history?days=1&limit=390'));
    for (const [teamId, values] of history) if (!series.has(teamId) || series.get(teamId).length < 2) series.set(teamId, values);
  } catch (error) {
    console.warn('no equity history:', error.message);
  }
}

/** The latest activity first (from /activity/recent), then the stream from just after it: no gap, no repeat. */
async function startActivity() {
  let after = null;
  try {
    const recent = await getJson('/activity/recent?limit=50');
    const entries = Array.isArray(recent?.activity) ? recent.activity : [];
    for (const entry of entries) addActivity(entry); // oldest first: each goes on top
    const last = entries.at(-1);
    if (last && typeof last.id === 'string') after = last.id;
  } catch (error) {
    console.warn('no recent activity:', error.message);
  }
  followActivity(after === null ? '/activity/stream' : `/activity/stream?last_event_id=${encodeURIComponent(after)}`, addActivity);
}

async function start() {
  try {
    const first = await getJson('/leaderboard');
    const board = decodeLeaderboard(first);
    if (board && board.rows.some((row) => !row.sparkline || row.sparkline.length === 0)) await loadHistory();
    render(first);
  } catch (error) {
    setText(statusLine, `The leaderboard is not available yet (${error.message}). Retrying…`);
  }
  followLeaderboard({ wsPath: '/ws/leaderboard', pollPath: '/leaderboard', onBoard: render, onState: setConnection });
  await startActivity();
}

void start();
