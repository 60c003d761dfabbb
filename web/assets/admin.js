/* global document, window */
// The admin console: teams and their state, keys, halts, versions and rollback, Git sync, the registry,
// reconciliation and the recent minutes, all from the admin endpoints with the admin key (kept in
// sessionStorage for this tab, sent only as Authorization: Bearer). Every action goes through an admin
// route, which records it in the audit log. Team-provided text is only ever set as text.
import { el, setText } from './dom.js';
import { STAGE_LABELS, STAGES, stageBars } from './admin-chart.js';
import {
  competitionState,
  decodeAdminSession,
  describeAdminFailure,
  formatWhen,
  keyRow,
  reconciliationView,
  registryErrorLines,
  registryFacts,
  SESSION_KEY,
  syncResultLines,
  teamRow,
  tickRow,
  versionRow,
} from './admin-model.js';

const REFRESH_MS = 15_000;
const SVG = 'http://www.w3.org/2000/svg';
const $ = (id) => document.getElementById(id);
const message = $('message');
const notice = $('notice');

let session = decodeAdminSession(sessionStorage.getItem(SESSION_KEY));
let refreshTimer = null;
/** The team whose panel is open, and the latest status of every team. */
let selectedTeam = null;
let statusPayload = null;
let ticksPayload = null;

class RequestError extends Error {
  constructor(status, text) {
    super(text);
    this.status = status;
  }
}

/** An admin request: JSON in and out, the key as a Bearer header; throws RequestError with the server's message. */
async function api(method, path, body) {
  const headers = { accept: 'application/json', authorization: `Bearer ${session?.key ?? ''}` };
  const init = { method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (error) {
    throw new RequestError(0, error instanceof Error ? error.message : String(error));
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    // Not JSON: reported below with the status.
  }
  if (!response.ok) throw new RequestError(response.status, payload && typeof payload.message === 'string' ? payload.message : `HTTP ${response.status}`);
  return payload;
}

const teamPath = (teamId, suffix = '') => `/api/v1/admin/teams/${encodeURIComponent(teamId)}${suffix}`;

function say(text) {
  setText(message, '');
  setText(notice, text);
}

function fail(error) {
  const status = error instanceof RequestError ? error.status : 0;
  const text = describeAdminFailure(status, error instanceof Error ? error.message : String(error));
  if (status === 401 || status === 403) {
    signOut(text);
    return;
  }
  setText(notice, '');
  setText(message, text);
}

/** Runs an action from a button: disabled while it runs, the outcome said, then everything refreshed. */
async function act(button, work) {
  if (button) button.disabled = true;
  try {
    const outcome = await work();
    if (typeof outcome === 'string') say(outcome);
    await refresh();
  } catch (error) {
    fail(error);
  } finally {
    if (button) button.disabled = false;
  }
}

function facts(list, pairs) {
  list.replaceChildren(...pairs.flatMap(([label, value]) => [el('dt', {}, label), el('dd', {}, value)]));
}

function tagList(tags) {
  return tags.map((tag) => el('span', { class: `tag ${tag.tag}`, title: tag.title }, tag.tag));
}

// ---- competition and teams ------------------------------------------------------------------------

function showStatus(status) {
  statusPayload = status;
  const competition = competitionState(status);
  const state = $('competition-state');
  setText(state, competition.text);
  state.className = competition.halted ? 'halted-state' : '';
  $('halt-competition').disabled = competition.halted;
  $('resume-competition').disabled = !competition.halted;

  const rows = (Array.isArray(status?.teams) ? status.teams : []).map(teamRow).filter(Boolean);
  $('teams').replaceChildren(
    ...rows.map((row) => {
      const manage = el('button', { type: 'button', class: 'secondary small', 'data-team': row.id, 'aria-label': `Manage team ${row.id}` }, 'Manage');
      manage.addEventListener('click', () => void openTeam(row.id));
      return el(
        'tr',
        { 'data-team': row.id },
        el('td', { 'data-label': 'Team' }, el('span', { class: 'team-name' }, row.name), el('span', { class: 'team-id' }, row.id)),
        el('td', { 'data-label': 'State' }, ...tagList(row.tags)),
        el('td', { 'data-label': 'Active version' }, row.active),
        el('td', { 'data-label': 'Latest evaluation' }, row.latest),
        el('td', { 'data-label': 'Problems' }, ...(row.problems.length === 0 ? ['—'] : row.problems.map((line) => el('span', { class: 'problem' }, line)))),
        el('td', { 'data-label': 'Keys', class: 'num' }, String(row.keys)),
        el('td', { class: 'actions' }, manage),
      );
    }),
  );
  $('teams-empty').hidden = rows.length > 0;
  if (selectedTeam !== null) showTeamState(selectedTeam);
}

// ---- one team: halt, sync, keys, versions ---------------------------------------------------------

function showTeamState(teamId) {
  const team = (Array.isArray(statusPayload?.teams) ? statusPayload.teams : []).find((candidate) => candidate?.id === teamId);
  const row = teamRow(team);
  if (!row) return;
  setText($('team-panel-title'), row.name === row.id ? row.id : `${row.name} (${row.id})`);
  const halt = team.halt;
  const state = $('team-state');
  setText(state, halt ? `Halted since ${formatWhen(halt.halted_at)} by ${halt.halted_by}: ${halt.reason}` : `Not halted. Last minute run: ${row.lastRun}.`);
  state.className = halt ? 'halted-state' : '';
  $('halt-team').disabled = row.halted || row.removed;
  $('resume-team').disabled = !row.halted;
  $('issue-key').disabled = row.removed;
}

function showKeys(payload) {
  const rows = (Array.isArray(payload?.keys) ? payload.keys : []).map(keyRow).filter(Boolean);
  $('keys').replaceChildren(
    ...rows.map((key) => {
      const actions = el('td', { class: 'actions' });
      if (key.canRotate) {
        const rotate = el('button', { type: 'button', class: 'secondary small', 'data-action': 'rotate', 'data-key': key.keyId }, 'Rotate');
        rotate.addEventListener('click', () => void act(rotate, () => rotateKey(key.keyId)));
        actions.append(rotate);
      }
      if (key.canRevoke) {
        const revoke = el('button', { type: 'button', class: 'secondary small', 'data-action': 'revoke', 'data-key': key.keyId }, 'Revoke');
        revoke.addEventListener('click', () => {
          if (!window.confirm(`Revoke key ${key.keyId} now? Requests with it are refused at once.`)) return;
          void act(revoke, async () => {
            await api('DELETE', `/api/v1/admin/keys/${encodeURIComponent(key.keyId)}`);
            return `Key ${key.keyId} is revoked.`;
          });
        });
        actions.append(revoke);
      }
      return el(
        'tr',
        { 'data-key': key.keyId },
        el('td', { 'data-label': 'Key id' }, el('code', {}, key.keyId)),
        el('td', { 'data-label': 'Status' }, key.status),
        el('td', { 'data-label': 'Created' }, key.created),
        el('td', { 'data-label': 'Last used' }, key.lastUsed),
        actions,
      );
    }),
  );
  $('keys-empty').hidden = rows.length > 0;
}

function showVersions(payload) {
  const rows = (Array.isArray(payload?.versions) ? payload.versions : []).map(versionRow).filter(Boolean);
  $('versions').replaceChildren(
    ...rows.map((version) => {
      const item = el(
        'li',
        { class: version.status, 'data-version': String(version.id) },
        el('div', { class: 'version-title' }, version.title),
        el('div', { class: 'version-meta' }, version.meta),
      );
      if (version.findings.length > 0) item.append(el('ul', { 'aria-label': 'Findings' }, ...version.findings.map((line) => el('li', {}, line))));
      if (version.error !== '') item.append(el('pre', {}, version.error));
      if (version.canRollBack) {
        const rollback = el('button', { type: 'button', class: 'secondary small', 'data-action': 'rollback' }, `Roll back to #${version.id}`);
        rollback.addEventListener(
          'click',
          () =>
            void act(rollback, async () => {
              const answer = await api('POST', teamPath(selectedTeam, '/rollback'), { version_id: version.id });
              return `${selectedTeam} now runs #${answer.version.id} until the team pushes a new commit.`;
            }),
        );
        item.append(el('p', {}, rollback));
      }
      return item;
    }),
  );
  $('versions-empty').hidden = rows.length > 0;
}

async function loadTeamDetails() {
  if (selectedTeam === null) return;
  const teamId = selectedTeam;
  const [keys, versions] = await Promise.all([api('GET', `/api/v1/admin/keys?team=${encodeURIComponent(teamId)}`), api('GET', teamPath(teamId, '/versions?limit=20'))]);
  if (selectedTeam !== teamId) return;
  showKeys(keys);
  showVersions(versions);
}

async function openTeam(teamId) {
  selectedTeam = teamId;
  $('team-sync-results').replaceChildren();
  $('team-reason').value = '';
  showTeamState(teamId);
  $('team-panel').hidden = false;
  try {
    await loadTeamDetails();
  } catch (error) {
    fail(error);
  }
  $('team-panel').scrollIntoView({ block: 'start' });
}

function showNewKey(teamId, answer) {
  setText($('new-key-team'), teamId);
  setText($('new-key-value'), answer.key);
  setText($('new-key-notice'), answer.notice);
  setText($('copy-key'), 'Copy');
  $('new-key').hidden = false;
  $('new-key').scrollIntoView({ block: 'center' });
}

async function rotateKey(keyId) {
  const answer = await api('POST', `/api/v1/admin/keys/${encodeURIComponent(keyId)}/rotate`);
  showNewKey(answer.info.teamId, answer);
  return `Key ${keyId} was replaced by ${answer.info.keyId}; the old one works until ${formatWhen(answer.previous.expiresAt)}.`;
}

// ---- ticks ----------------------------------------------------------------------------------------

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child);
  return node;
}

function drawTickChart() {
  const container = $('tick-chart');
  const ticks = Array.isArray(ticksPayload?.ticks) ? ticksPayload.ticks : [];
  if (ticks.length === 0) {
    container.replaceChildren();
    return;
  }
  const width = Math.max(240, container.clientWidth || 600);
  const height = width < 480 ? 144 : 192;
  const left = 44;
  const bottom = 4;
  const top = 8;
  const plotWidth = width - left;
  const plotHeight = height - top - bottom;
  const chart = stageBars(ticks, plotWidth, plotHeight);
  const slowest = Math.max(...chart.bars.map((bar) => bar.total));
  const grid = svg('g', { class: 'grid' });
  for (const value of chart.gridlines) {
    const y = top + plotHeight - (value / chart.maxMs) * plotHeight;
    grid.append(svg('line', { x1: left, x2: width, y1: y, y2: y }));
    grid.append(svg('text', { x: left - 6, y: y + 3, 'text-anchor': 'end' }, document.createTextNode(`${Math.round(value)} ms`)));
  }
  const bars = svg('g', { transform: `translate(${left} ${top})` });
  for (const bar of chart.bars) {
    const breakdown = bar.segments.map((segment) => `${STAGE_LABELS[segment.stage]} ${Math.round(segment.ms)} ms`).join(', ');
    const group = svg('g', { class: 'bar' }, svg('title', {}, document.createTextNode(`${formatWhen(bar.minute)} (${bar.status}): ${Math.round(bar.total)} ms — ${breakdown}`)));
    for (const segment of bar.segments)
      group.append(svg('rect', { class: `stage-${segment.stage}`, x: bar.x, y: segment.y, width: bar.width, height: Math.max(segment.height, 0.5) }));
    if (bar.status === 'failed') group.append(svg('rect', { class: 'failed-outline', x: bar.x, y: 0, width: bar.width, height: plotHeight }));
    bars.append(group);
  }
  const chartSvg = svg(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': `Milliseconds per stage of the latest ${chart.bars.length} minutes, oldest on the left; the slowest took ${Math.round(slowest)} ms.`,
    },
    grid,
    bars,
  );
  container.replaceChildren(chartSvg);
}

function showTicks(payload) {
  ticksPayload = payload;
  drawTickChart();
  const rows = (Array.isArray(payload?.ticks) ? payload.ticks : []).slice(0, 15).map(tickRow).filter(Boolean);
  $('ticks').replaceChildren(
    ...rows.map((tick) =>
      el(
        'tr',
        {},
        el('td', { 'data-label': 'Minute' }, tick.minute),
        el('td', { 'data-label': 'Status', class: tick.status === 'failed' ? 'down' : '' }, tick.status),
        el('td', { 'data-label': 'Attempts', class: 'num wide-only' }, tick.attempts),
        el('td', { 'data-label': 'Teams run', class: 'num' }, tick.teams),
        el('td', { 'data-label': 'Total', class: 'num' }, tick.totalMs),
        el('td', { 'data-label': 'Errors', class: 'num' }, tick.errors),
      ),
    ),
  );
  $('ticks-empty').hidden = rows.length > 0;
}

// ---- registry and reconciliation ------------------------------------------------------------------

function showRegistry(status) {
  facts($('registry'), registryFacts(status));
  $('registry-errors').replaceChildren(...registryErrorLines(status).map((line) => el('li', {}, line)));
}

function showReconciliation(payload) {
  const view = reconciliationView(payload);
  setText($('reconciliation-summary'), view.summary);
  $('discrepancies').replaceChildren(...view.discrepancies.map((line) => el('li', {}, line)));
  $('unattributed').replaceChildren(...view.unattributed.map((line) => el('li', {}, line)));
  $('unattributed-empty').hidden = view.unattributed.length > 0;
  if (view.audit !== null) {
    $('book-audit').replaceChildren(...(view.audit.length === 0 ? [el('li', {}, 'Every book matches its fills.')] : view.audit.map((line) => el('li', { class: 'down' }, line))));
  }
}

// ---- sandboxes ------------------------------------------------------------------------------------

const MB = 1024 * 1024;

function showSandbox(payload) {
  const processes = [];
  const quarantines = [];
  for (const worker of payload.workers) {
    for (const shard of worker.shards) {
      for (const p of shard.processes) {
        processes.push(
          `${worker.workerId} · shard ${shard.shard} · process ${p.process} (pid ${p.pid}): ${(p.rss / MB).toFixed(0)} MB resident, ${(p.heapUsed / MB).toFixed(0)} MB heap, ${p.teams} teams`,
        );
      }
      for (const q of shard.quarantined) quarantines.push(`${q.teamId}: ${q.reason}`);
    }
  }
  $('sandbox-processes').replaceChildren(...processes.map((line) => el('li', {}, line)));
  $('sandbox-quarantines').replaceChildren(...quarantines.map((line) => el('li', {}, line)));
  $('sandbox-empty').hidden = payload.workers.length > 0;
}

// ---- refresh and session --------------------------------------------------------------------------

async function refresh() {
  if (!session) return;
  let status;
  try {
    // The first answer also says whether the key is an admin key.
    status = await api('GET', '/api/v1/admin/status');
  } catch (error) {
    fail(error);
    return;
  }
  setText(message, '');
  $('sign-in').hidden = true;
  $('console').hidden = false;
  showStatus(status);
  const [registry, ticks, reconciliation, sandbox, details] = await Promise.allSettled([
    api('GET', '/api/v1/admin/registry'),
    api('GET', '/api/v1/admin/ticks?limit=60'),
    api('GET', '/api/v1/admin/reconciliation'),
    api('GET', '/api/v1/admin/sandbox'),
    loadTeamDetails(),
  ]);
  if (registry.status === 'fulfilled') showRegistry(registry.value);
  if (ticks.status === 'fulfilled') showTicks(ticks.value);
  if (reconciliation.status === 'fulfilled') showReconciliation(reconciliation.value);
  if (sandbox.status === 'fulfilled') showSandbox(sandbox.value);
  const failed = [registry, ticks, reconciliation, sandbox, details].find((result) => result.status === 'rejected');
  if (failed) fail(failed.reason);
  setText($('refreshed'), `Updated ${formatWhen(new Date().toISOString())}`);
}

function signOut(reason = '') {
  session = null;
  selectedTeam = null;
  sessionStorage.removeItem(SESSION_KEY);
  if (refreshTimer !== null) window.clearInterval(refreshTimer);
  refreshTimer = null;
  $('console').hidden = true;
  $('team-panel').hidden = true;
  $('new-key').hidden = true;
  setText($('new-key-value'), '');
  $('sign-in').hidden = false;
  $('admin-key').value = '';
  setText(notice, '');
  setText(message, reason);
}

function open(key) {
  session = { key };
  sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
  void refresh();
  if (refreshTimer === null) refreshTimer = window.setInterval(() => void refresh(), REFRESH_MS);
}

// ---- wiring ---------------------------------------------------------------------------------------

$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('admin-key').value.trim();
  if (key !== '') open(key);
});
$('sign-out').addEventListener('click', () => signOut('Key forgotten in this tab.'));
$('refresh').addEventListener('click', () => void act($('refresh'), async () => undefined));

$('competition-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const reason = $('competition-reason').value.trim();
  void act($('halt-competition'), async () => {
    const answer = await api('POST', '/api/v1/admin/halt', reason === '' ? undefined : { reason });
    $('competition-reason').value = '';
    return answer.changed ? `The competition is halted from the next minute: ${answer.halt.reason}` : 'The competition was already halted.';
  });
});
$('resume-competition').addEventListener(
  'click',
  () =>
    void act($('resume-competition'), async () => {
      const answer = await api('POST', '/api/v1/admin/resume');
      return answer.changed ? 'The competition resumes from the next minute.' : 'The competition was not halted.';
    }),
);
$('sync-all').addEventListener(
  'click',
  () =>
    void act($('sync-all'), async () => {
      say('Syncing every enabled team… (each new commit is checked, compiled and smoke-run)');
      const answer = await api('POST', '/api/v1/admin/sync', {});
      $('sync-results').replaceChildren(...syncResultLines(answer).map((line) => el('li', {}, line)));
      return 'Sync finished.';
    }),
);

$('team-halt-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (selectedTeam === null) return;
  const teamId = selectedTeam;
  const reason = $('team-reason').value.trim();
  void act($('halt-team'), async () => {
    const answer = await api('POST', teamPath(teamId, '/halt'), reason === '' ? undefined : { reason });
    $('team-reason').value = '';
    return answer.changed ? `Team ${teamId} is halted from the next minute: ${answer.halt.reason}` : `Team ${teamId} was already halted.`;
  });
});
$('resume-team').addEventListener('click', () => {
  if (selectedTeam === null) return;
  const teamId = selectedTeam;
  void act($('resume-team'), async () => {
    const answer = await api('POST', teamPath(teamId, '/resume'));
    return answer.changed ? `Team ${teamId} resumes from the next minute.` : `Team ${teamId} was not halted.`;
  });
});
$('sync-team').addEventListener('click', () => {
  if (selectedTeam === null) return;
  const teamId = selectedTeam;
  void act($('sync-team'), async () => {
    say(`Syncing ${teamId}…`);
    const answer = await api('POST', '/api/v1/admin/sync', { team: teamId });
    $('team-sync-results').replaceChildren(...syncResultLines(answer).map((line) => el('li', {}, line)));
    return `Sync of ${teamId} finished.`;
  });
});
$('issue-key').addEventListener('click', () => {
  if (selectedTeam === null) return;
  const teamId = selectedTeam;
  void act($('issue-key'), async () => {
    const answer = await api('POST', teamPath(teamId, '/keys'));
    showNewKey(teamId, answer);
    return `Key ${answer.info.keyId} issued for ${teamId}.`;
  });
});
$('close-team').addEventListener('click', () => {
  selectedTeam = null;
  $('team-panel').hidden = true;
});

$('copy-key').addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText($('new-key-value').textContent ?? '');
    setText($('copy-key'), 'Copied');
  } catch {
    // No clipboard (an http:// page other than localhost): select the key so it can be copied by hand.
    const range = document.createRange();
    range.selectNodeContents($('new-key-value'));
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    setText($('copy-key'), 'Selected: copy it by hand');
  }
});
$('new-key-done').addEventListener('click', () => {
  setText($('new-key-value'), '');
  $('new-key').hidden = true;
});

$('reload-registry').addEventListener(
  'click',
  () =>
    void act($('reload-registry'), async () => {
      try {
        const answer = await api('POST', '/api/v1/admin/registry/reload');
        return answer.outcome === 'loaded' ? `Registry reloaded: ${answer.registry.teams} teams.` : 'The registry file is unchanged.';
      } catch (error) {
        // 422: the file is invalid; its errors (line:column) are shown in the registry section.
        if (error instanceof RequestError && error.status === 422) return 'The registry file is invalid; the registry in force stays (errors below).';
        throw error;
      }
    }),
);
$('audit-books').addEventListener(
  'click',
  () =>
    void act($('audit-books'), async () => {
      showReconciliation(await api('GET', '/api/v1/admin/reconciliation?audit=true'));
      return 'Every book was recomputed from its fills.';
    }),
);

$('tick-legend').replaceChildren(...STAGES.map((stage) => el('li', {}, el('span', { class: `swatch stage-${stage}`, 'aria-hidden': 'true' }), STAGE_LABELS[stage])));
let resizeTimer = null;
window.addEventListener('resize', () => {
  if (resizeTimer !== null) window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(drawTickChart, 150);
});

if (session) open(session.key);
