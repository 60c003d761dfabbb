/**
 * The admin console in a real browser, against the HTTP app as `qtc all` builds it (admin, team and live
 * routes, plugins, pages) on a fresh Postgres database and Redis: an admin halts and resumes the
 * competition and a team, rotates a team key (shown once, copied) and rolls a team back to an earlier
 * version, all from the page; each lands in Postgres and in the audit log. Screenshots at desktop (1280)
 * and phone (390) width go to tests/e2e/screenshots/ (gitignored; or QTC_E2E_SCREENSHOTS). The API docs page is
 * checked too. No console error is allowed. Skips (and says why) where /usr/bin/chromium is missing.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createLedger } from '../../server/ledger/ledger.ts';
import { migrateUp } from '../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../data/postgres/pool.ts';
import { connectRedis, createRedis, type RedisClient } from '../../data/redis/client.ts';
import { getActiveVersion, recordVersion, type NewVersion } from '../../loaders/activation/versionStore.ts';
import type { TeamSyncResult } from '../../loaders/git/syncTeam.ts';
import { ApiKeyStore } from '../../registry/keys/store.ts';
import { createLiveRegistry } from '../../registry/live.ts';
import { AdminKeys } from '../../server/auth/adminKeys.ts';
import { createAuthenticator } from '../../server/auth/authenticate.ts';
import { buildHttpApp } from '../../server/http/app.ts';
import { registerAdminRoutes } from '../../server/http/routes/admin.ts';
import { registerLiveApi } from '../../server/http/routes/liveApi.ts';
import { registerTeamRoutes } from '../../server/http/routes/team.ts';
import type { LeaderboardKeys } from '../../server/leaderboard/publish.ts';
import { createMetrics } from '../../server/observability/metrics.ts';
import { toMoney } from '../../server/trading/money.ts';
import { createTestDatabase } from '../support/databases.ts';
import { silentLog } from '../support/silentLog.ts';
import { makeTempDir } from '../support/tempDir.ts';
import { browserSuiteTitle, CHROMIUM, haveChromium } from './support.ts';

const ADMIN_KEY = 'e2e-admin-key-0123456789abcdef0123456789';
const MINUTE = Date.UTC(2025, 10, 18, 14, 31);
const screenshotDir = process.env.QTC_E2E_SCREENSHOTS ?? path.join(import.meta.dirname, 'screenshots');

interface AdminWorld {
  pool: PgPool;
  registryFile: string;
  apiKeys: ApiKeyStore;
  address: string;
  browser: Browser;
  close(): Promise<void>;
}

async function startAdminWorld(): Promise<AdminWorld> {
  const temp = makeTempDir('qtc-e2e-admin-');
  const registryFile = path.join(temp.dir, 'team_registry.yaml');
  writeFileSync(
    registryFile,
    `competition:\n  name: E2E Cup\n  universe: [SPY]\nteams:\n` +
      `  - id: alpha\n    name: Alpha Capital\n    repo: https://git.example.org/alpha.git\n` +
      `  - id: beta\n    name: "<b>Beta</b> Partners"\n    repo: https://git.example.org/beta.git\n`,
  );
  const database = await createTestDatabase();
  const pool = createPgPool({ url: database.url, max: 4, connectTimeoutMs: 5_000 });
  await migrateUp(pool);
  const connections: RedisClient[] = [];
  const openRedis = (): RedisClient => {
    const client = createRedis(inject('redisUrl'));
    connections.push(client);
    return client;
  };
  const redis = openRedis();
  await connectRedis(redis, 5_000);
  const registry = createLiveRegistry({ file: registryFile, pool, log: silentLog });
  await registry.load();
  await createLedger(pool).ensureTeamBooks(['alpha', 'beta'], toMoney(100_000));

  const prefix = `e2e-admin-${randomBytes(4).toString('hex')}`;
  const keys: LeaderboardKeys = { leaderboard: `${prefix}:leaderboard`, leaderboardChannel: `${prefix}:leaderboard:updates`, activityStream: `${prefix}:activity` };
  const apiKeys = new ApiKeyStore({ pool, graceMs: 3_600_000 });
  const auth = createAuthenticator({ verifyTeamKey: (key) => apiKeys.verify(key), adminKeys: new AdminKeys([ADMIN_KEY]) });
  const app = buildHttpApp({ logger: silentLog, metrics: createMetrics(), probes: {}, plugins: { rateLimitRedis: redis, rateLimitPrefix: `${prefix}:rl:` } });
  // As server/compose.ts wires them: admin and team routes in one plugin, then the live API.
  void app.register((scope, _options, done) => {
    registerAdminRoutes(scope, { auth, registry, keys: apiKeys, pool });
    registerTeamRoutes(scope, { auth, registry });
    done();
  });
  const syncNow = (teamId?: string): Promise<TeamSyncResult[]> =>
    Promise.resolve((teamId === undefined ? ['alpha', 'beta'] : [teamId]).map((id) => ({ teamId: id, outcome: 'unchanged' as const, sha: 'f'.repeat(40) })));
  registerLiveApi(app, { pg: pool, redis, openRedis, auth, keys, syncNow });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  return {
    pool,
    registryFile,
    apiKeys,
    address,
    browser,
    async close() {
      await browser.close();
      await app.close();
      for (const client of connections) client.disconnect();
      await pool.end();
      await database.drop();
      temp.remove();
    },
  };
}

function version(sha: string, ok: boolean, message: string): NewVersion {
  return {
    teamId: 'alpha',
    commit: { sha: sha.repeat(40), authorName: 'Ada', authorEmail: 'ada@example.org', committedAt: new Date(MINUTE), message },
    source: { repo: 'https://git.example.org/alpha.git', branch: 'main', path: '.', entry: null },
    timings: {},
    outcome: ok
      ? { ok: true, compiled: { code: '/* bundle */', sourceMap: '{}', filename: 'strategy.bundle.js' } }
      : { ok: false, stage: 'check', findings: [{ file: 'strategy.ts', line: 3, column: 7, rule: 'banned-name', message: 'eval is not available' }], error: null },
  };
}

/** Console errors, page errors and failed requests of a page, plus every URL it asked for. */
function watch(page: Page): { problems: string[]; urls: string[] } {
  const seen = { problems: [] as string[], urls: [] as string[] };
  page.on('pageerror', (error) => seen.problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') seen.problems.push(`console: ${message.text()}`);
  });
  page.on('requestfailed', (request) => seen.problems.push(`request failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('request', (request) => seen.urls.push(request.url()));
  return seen;
}

async function signIn(page: Page, address: string): Promise<void> {
  await page.goto(`${address}/admin`);
  await page.fill('#admin-key', ADMIN_KEY);
  await page.click('#key-form button[type="submit"]');
  await page.waitForSelector('#console:not([hidden]) #teams tr[data-team="alpha"]');
  await page.waitForSelector('#tick-chart svg rect');
}

describe.skipIf(!haveChromium)(browserSuiteTitle('admin console in headless Chromium'), () => {
  let world: AdminWorld;
  let firstVersionId: number;
  let alphaKeyId: string;

  beforeAll(async () => {
    world = await startAdminWorld();
    firstVersionId = (await recordVersion(world.pool, version('a', true, 'first strategy'))).version.id;
    await recordVersion(world.pool, version('b', false, 'try eval'));
    await recordVersion(world.pool, version('c', true, 'second strategy'));
    alphaKeyId = (await world.apiKeys.issue('alpha', 'e2e')).info.keyId;
    // Recent minutes for the timing chart; the third one failed.
    for (let i = 0; i < 8; i++) {
      const stageMs = { bars: 3 + i, fills: 2, load: 1, strategies: 20 + 5 * i, orders: 6, submit: 4, books: 9, snapshot: 3, leaderboard: 2, total: 50 + 7 * i };
      await world.pool.query(
        `INSERT INTO ticks (minute, status, shards, clock, source, bar_hash, bars, prices, teams, stage_ms, teams_run, completed_at)
         VALUES ($1, $2, 1, 'simulated', 'simulator', $3, '{}', '{}', '[{"teamId":"alpha","versionId":1}]', $4, 1, now())`,
        [new Date(MINUTE + i * 60_000), i === 2 ? 'failed' : 'completed', 'd'.repeat(64), JSON.stringify(stageMs)],
      );
    }
    mkdirSync(screenshotDir, { recursive: true });
  });

  afterAll(async () => {
    await world?.close();
  });

  it('halts and resumes the competition and a team, rotates a key and rolls a version back, from the page', async () => {
    const context: BrowserContext = await world.browser.newContext({ viewport: { width: 1280, height: 900 }, permissions: ['clipboard-read', 'clipboard-write'] });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const seen = watch(page);
    const authorizations = new Set<string>();
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/admin/')) authorizations.add(request.headers().authorization ?? '');
    });

    await signIn(page, world.address);
    expect(await page.textContent('#competition-state')).toBe('Running: strategies run and orders are sent every market minute.');
    // A team's name is text, never markup.
    expect(await page.textContent('#teams tr[data-team="beta"] .team-name')).toBe('<b>Beta</b> Partners');
    expect(await page.locator('#teams b').count()).toBe(0);
    expect(await page.textContent('#teams tr[data-team="alpha"]')).toContain('#3 cccccccc second strategy');
    expect(await page.locator('#tick-chart svg g.bar').count()).toBe(8);
    expect(await page.locator('#tick-chart rect.failed-outline').count()).toBe(1);

    // Halt the competition with a reason, then resume it.
    await page.fill('#competition-reason', 'e2e drill');
    await page.click('#halt-competition');
    await page.waitForSelector('#competition-state.halted-state');
    expect(await page.textContent('#competition-state')).toMatch(/^Halted since .* by admin:[0-9a-f]{8}: e2e drill$/);
    const halts = await world.pool.query<{ reason: string; halted_by: string }>("SELECT reason, halted_by FROM halts WHERE subject = 'competition'");
    expect(halts.rows).toEqual([{ reason: 'e2e drill', halted_by: expect.stringMatching(/^admin:/) as unknown }]);
    await page.click('#resume-competition');
    await page.waitForSelector('#competition-state:not(.halted-state)');
    expect((await world.pool.query("SELECT 1 FROM halts WHERE subject = 'competition'")).rowCount).toBe(0);

    // One team: halt without a reason (the default is recorded), then resume.
    await page.click('#teams button[data-team="alpha"]');
    await page.waitForSelector('#team-panel:not([hidden]) #versions li[data-version]');
    await page.click('#halt-team');
    await page.waitForSelector('#teams tr[data-team="alpha"] .tag.halted');
    expect(await page.textContent('#team-state')).toMatch(/halted by an admin \(no reason given\)$/);
    await page.click('#resume-team');
    await page.waitForSelector('#teams tr[data-team="alpha"] .tag.halted', { state: 'detached' });
    expect(await page.textContent('#team-state')).toMatch(/^Not halted\./);

    // Rotate the team's key: the new key is shown once, can be copied, and works; the old one is in its grace period.
    await page.click(`#keys button[data-action="rotate"][data-key="${alphaKeyId}"]`);
    await page.waitForSelector('#new-key:not([hidden])');
    const newKey = (await page.textContent('#new-key-value')) ?? '';
    expect(newKey).toMatch(/^qtc_team_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}$/);
    expect(await world.apiKeys.verify(newKey)).toMatchObject({ ok: true, teamId: 'alpha' });
    await page.click('#copy-key');
    await page.waitForSelector('#copy-key:text-is("Copied")');
    expect(await page.evaluate<string>('navigator.clipboard.readText()')).toBe(newKey);
    await page.waitForSelector(`#keys tr[data-key="${alphaKeyId}"]:has-text("grace until")`);

    if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, 'admin-desktop.png'), fullPage: true });
    await page.click('#new-key-done');
    expect(await page.isHidden('#new-key')).toBe(true);
    expect(await page.textContent('#new-key-value')).toBe('');

    // Roll back to the first version.
    await page.click(`#versions li[data-version="${firstVersionId}"] button[data-action="rollback"]`);
    await page.waitForSelector(`#versions li.active[data-version="${firstVersionId}"]`);
    expect(await page.textContent('#notice')).toBe(`alpha now runs #${firstVersionId} until the team pushes a new commit.`);
    expect((await getActiveVersion(world.pool, 'alpha'))?.id).toBe(firstVersionId);
    await page.waitForSelector(`#teams tr[data-team="alpha"]:has-text("(rolled back)")`);

    // Every action is in the audit log under the admin key's id.
    const audit = await world.pool.query<{ kind: string; actor: string }>(
      `SELECT kind, actor FROM audit_events WHERE kind IN ('competition.halted', 'competition.resumed', 'team.halted', 'team.resumed', 'api_key.rotated', 'strategy.rollback') ORDER BY id`,
    );
    expect(audit.rows.map((row) => row.kind)).toEqual(['competition.halted', 'competition.resumed', 'team.halted', 'team.resumed', 'api_key.rotated', 'strategy.rollback']);
    expect(new Set(audit.rows.map((row) => row.actor)).size).toBe(1);
    expect(audit.rows[0]?.actor).toMatch(/^admin:[0-9a-f]{8}$/);

    // The key only ever went as a Bearer header, and nothing was asked of another server.
    expect(authorizations).toEqual(new Set([`Bearer ${ADMIN_KEY}`]));
    expect(seen.urls.filter((url) => !url.startsWith(world.address))).toEqual([]);
    expect(seen.urls.some((url) => url.includes(ADMIN_KEY))).toBe(false);
    if (screenshotDir) {
      await page.emulateMedia({ colorScheme: 'dark' });
      await page.screenshot({ path: path.join(screenshotDir, 'admin-desktop-dark.png') });
    }
    expect(seen.problems).toEqual([]);
    await context.close();
  });

  it('fits a phone (390 px): no sideways scrolling, every section readable', async () => {
    const context = await world.browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const seen = watch(page);
    await signIn(page, world.address);
    await page.click('#teams button[data-team="alpha"]');
    await page.waitForSelector('#team-panel:not([hidden]) #keys tr');
    // Nothing sticks out on the right, not even inside a table's scrolling region.
    const wide = await page.evaluate<string[]>(
      `[...document.querySelectorAll('body *')].filter((node) => node.getBoundingClientRect().right > 390.5)
         .map((node) => node.tagName.toLowerCase() + '#' + node.id + '.' + node.className + ' ' + Math.round(node.getBoundingClientRect().right))`,
    );
    expect(wide).toEqual([]);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, 'admin-phone.png'), fullPage: true });
    // Forgetting the key ends the session in this tab.
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in:not([hidden])');
    expect(await page.evaluate(() => globalThis.sessionStorage.getItem('qtc.admin'))).toBeNull();
    expect(seen.problems).toEqual([]);
    await context.close();
  });

  it('shows a rejected registry edit with line and column, and keeps the registry in force', async () => {
    const page = await world.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    const seen = watch(page);
    await signIn(page, world.address);
    const good = readFileSync(world.registryFile, 'utf8');
    writeFileSync(world.registryFile, good.replace('    repo: https://git.example.org/beta.git\n', '    repo: 42\n'));
    try {
      await page.click('#reload-registry');
      await page.waitForSelector('#registry-errors li');
      expect(await page.textContent('#registry-errors li')).toMatch(/^\d+:\d+ teams\[1\]\.repo: /);
      expect(await page.textContent('#notice')).toBe('The registry file is invalid; the registry in force stays (errors below).');
      expect(await page.textContent('#registry')).toContain('rejected');
      expect(await page.locator('#teams tr').count()).toBe(2);
    } finally {
      writeFileSync(world.registryFile, good);
    }
    const audit = await world.pool.query<{ details: { outcome: string } }>(`SELECT details FROM audit_events WHERE kind = 'registry.reload-requested'`);
    expect(audit.rows).toEqual([{ details: { outcome: 'failed' } }]);
    // A reload fails with 422, which the page explains: the console shows no error for it.
    expect(seen.problems.filter((problem) => !problem.includes('422'))).toEqual([]);
    await page.close();
  });

  it('refuses a team key and a wrong key with the reason', async () => {
    const page = await world.browser.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${world.address}/admin`);
    await page.fill('#admin-key', (await world.apiKeys.issue('beta', 'e2e')).key);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#message:has-text("not an admin key")');
    expect(await page.isHidden('#console')).toBe(true);
    await page.fill('#admin-key', 'not-the-admin-key-0123456789abcdef0123');
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#message:has-text("was not accepted")');
    expect(await page.evaluate(() => globalThis.sessionStorage.getItem('qtc.admin'))).toBeNull();
    await page.close();
  });

  it('serves interactive API docs at /docs with every asset from this server', async () => {
    const page = await world.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    const seen = watch(page);
    await page.goto(`${world.address}/docs`);
    await page.waitForSelector('.swagger-ui .info .title');
    await page.waitForSelector('.swagger-ui .opblock-tag-section');
    expect(await page.textContent('.swagger-ui .info .title')).toContain('QTC');
    expect(await page.locator('.swagger-ui .opblock').count()).toBeGreaterThan(20);
    if (screenshotDir) await page.screenshot({ path: path.join(screenshotDir, 'docs-desktop.png') });
    expect(seen.urls.filter((url) => !url.startsWith(world.address) && !url.startsWith('data:'))).toEqual([]);
    expect(seen.problems).toEqual([]);
    await page.close();
  });
});
