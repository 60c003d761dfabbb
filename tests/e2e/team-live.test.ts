/**
 * The team dashboard live, in a real browser: positions and open orders, the equity and CPU charts
 * drawn, a trade arriving over the team's own stream without a reload, a rejected push appearing with
 * its findings; screenshots at desktop (1280 px) and phone (390 px) width written to
 * tests/e2e/screenshots/ (gitignored); no console error; nothing wider than a 390 px phone.
 * Skips (and says why) where /usr/bin/chromium is missing.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordVersion } from '../../loaders/activation/index.ts';
import { publishActivity } from '../../server/live/activity.ts';
import { clientOrderId } from '../../server/trading/clientOrderId.ts';
import { browserSuiteTitle, haveChromium, startE2eWorld, type E2eWorld } from './support.ts';

const MINUTE_1 = Date.UTC(2025, 10, 18, 14, 31);
const MINUTE_2 = MINUTE_1 + 60_000;
const MINUTE_3 = MINUTE_2 + 60_000;
const SCREENSHOTS = path.join(import.meta.dirname, 'screenshots');

describe.skipIf(!haveChromium)(browserSuiteTitle('team dashboard live in headless Chromium'), () => {
  let world: E2eWorld;
  let key: string;

  /** A minute the way the tick stores it: the tick row and the team's run (CPU, logs). */
  async function storeRun(minute: number, cpuMs: number, logs: Array<{ level: string; message: string }>): Promise<void> {
    await world.pool.query(
      `INSERT INTO ticks (minute, status, shards, clock, source, bar_hash, bars, prices, teams) VALUES ($1, 'completed', 1, 'simulated', 'e2e', $2, '{}', '{}', '[]')`,
      [new Date(minute), 'e'.repeat(64)],
    );
    await world.pool.query(`INSERT INTO tick_team_runs (minute, team_id, shard, worker, cpu_ms, wall_ms, logs) VALUES ($1, 'alpha', 0, 'e2e', $2, $2, $3)`, [
      new Date(minute),
      cpuMs,
      JSON.stringify(logs),
    ]);
  }

  beforeAll(async () => {
    world = await startE2eWorld([['alpha', 'Alpha Capital']]);
    expect(await world.trade('alpha', MINUTE_1, 1, 'buy', 'SPY', 100, 100, 100)).toBe('recorded');
    // Recorded but not filled: an open order.
    expect(await world.trade('alpha', MINUTE_2, 1, 'buy', 'QQQ', 10, 50)).toBe('recorded');
    await storeRun(MINUTE_1, 2.5, [{ level: 'info', message: 'bought SPY on the cross' }]);
    await world.closeMinute(MINUTE_1, { SPY: 100, QQQ: 50 });
    await storeRun(MINUTE_2, 7.25, []);
    await world.closeMinute(MINUTE_2, { SPY: 104, QQQ: 50 });
    key = (await world.apiKeys.issue('alpha', 'e2e')).key;
    mkdirSync(SCREENSHOTS, { recursive: true });
  });

  afterAll(async () => {
    await world?.close();
  });

  function watchProblems(page: Page): string[] {
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    return problems;
  }

  async function openDashboard(page: Page): Promise<void> {
    await page.goto(`${world.address}/team`);
    await page.fill('#team-id', 'alpha');
    await page.fill('#team-key', key);
    await page.click('#key-form button[type="submit"]');
    await page.waitForSelector('#dashboard:not([hidden]) #positions tr');
    await page.waitForSelector('#connection[data-state="live"]');
  }

  const cells = (page: Page, selector: string) => page.locator(selector).locator('td, th').allTextContents();

  it('shows positions, open orders and drawn charts, then a live trade and a rejected push without a reload', async () => {
    const page = await world.browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.setDefaultTimeout(20_000);
    const problems = watchProblems(page);
    const keysInUrls: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes(key)) keysInUrls.push(request.url());
    });
    await openDashboard(page);

    expect(await cells(page, '#positions tr[data-symbol="SPY"]')).toEqual(['SPY', '100', '$100.00', '$104.00', '$10,400.00', '$400.00 (+4.00%)', '$0.00']);
    expect(await cells(page, '#open-orders tr')).toEqual(['Nov 18, 09:32 ET', 'Buy', '10', 'QQQ', 'market', 'pending submit', '0']);
    expect(await page.textContent('#as-of')).toBe('Books as of Nov 18, 09:32 ET (market time).');
    // uPlot drew the charts: canvases sized to their boxes, a legend with the series.
    for (const chart of ['#equity-chart', '#drawdown-chart', '#cpu-chart']) {
      const size = await page.evaluate<number[]>(`(() => { const canvas = document.querySelector('${chart} canvas'); return [canvas.width, canvas.height]; })()`);
      expect(size[0], chart).toBeGreaterThan(200);
      expect(size[1], chart).toBeGreaterThan(50);
    }
    expect(await page.locator('#equity-chart .u-legend .u-series').allTextContents()).toEqual(
      expect.arrayContaining([expect.stringContaining('Equity'), expect.stringContaining('Bought'), expect.stringContaining('Sold')]),
    );
    expect(await page.isHidden('#chart-empty')).toBe(true);
    expect(await page.textContent('#logs li')).toContain('bought SPY on the cross');

    // A minute passes on the server: a fill, the books marked, the tick's events published.
    expect(await world.trade('alpha', MINUTE_3, 1, 'buy', 'IWM', 10, 200, 200)).toBe('recorded');
    await storeRun(MINUTE_3, 3, [{ level: 'warn', message: 'cash is getting low' }]);
    await world.closeMinute(MINUTE_3, { SPY: 104, QQQ: 50, IWM: 201 });
    await publishActivity(
      world.redis,
      { type: 'trade', at: MINUTE_3 + 30_000, teamId: 'alpha', symbol: 'IWM', side: 'buy', quantity: 10, price: 200, clientOrderId: clientOrderId('alpha', MINUTE_3, 1) },
      world.keys.activityStream,
    );
    await publishActivity(world.redis, { type: 'tick', at: MINUTE_3 + 40_000, minute: MINUTE_3, teams: 1, durationMs: 30, stages: {} }, world.keys.activityStream);

    await page.waitForSelector('#live-events li.buy');
    expect(await page.textContent('#live-events li.buy')).toBe('09:33Bought 10 IWM at $200.00');
    await page.waitForSelector('#positions tr[data-symbol="IWM"]');
    expect(await cells(page, '#positions tr[data-symbol="IWM"]')).toEqual(['IWM', '10', '$200.00', '$201.00', '$2,010.00', '$10.00 (+0.50%)', '$0.00']);
    await page.waitForFunction(`document.querySelector('#trades tr td:nth-child(4)')?.textContent === 'IWM'`);
    await page.waitForSelector('#logs li.warn');
    expect(await page.textContent('#logs li.warn')).toContain('cash is getting low');
    expect(await page.textContent('#as-of')).toBe('Books as of Nov 18, 09:33 ET (market time).');

    // The team pushes a commit that fails the check: it appears at once, with its findings.
    await recordVersion(world.pool, {
      teamId: 'alpha',
      commit: { sha: 'b'.repeat(40), authorName: 'Ada', authorEmail: 'ada@example.org', committedAt: new Date(MINUTE_3), message: 'hold instead of sell' },
      source: { repo: 'file:///repos/alpha', branch: 'main', path: '.', entry: null },
      timings: { check: 3 },
      outcome: {
        ok: false,
        stage: 'check',
        error: null,
        findings: [{ file: 'strategy.ts', line: 14, column: 41, rule: 'types', message: `Type '"hold"' is not assignable to type '"buy" | "sell"'.` }],
      },
    });
    await page.waitForSelector('#live-events li.rejected');
    expect(await page.textContent('#live-events li.rejected')).toContain(`Commit ${'b'.repeat(12)} rejected at the check stage: 1 finding`);
    expect(await page.textContent('#live-events li.rejected .details')).toBe(`strategy.ts:14:41 types: Type '"hold"' is not assignable to type '"buy" | "sell"'.`);
    await page.waitForSelector('#findings-block:not([hidden])');
    expect(await page.textContent('#strategy dt:text-is("Latest commit") + dd')).toBe(`${'b'.repeat(12)} rejected at check`);

    await page.screenshot({ path: path.join(SCREENSHOTS, 'team-dashboard-1280.png'), fullPage: true });
    expect(keysInUrls).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('fits a 390 px phone: nothing wider than the screen, charts inside their cards', async () => {
    const page = await world.browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    page.setDefaultTimeout(20_000);
    const problems = watchProblems(page);
    await openDashboard(page);
    await page.waitForSelector('#positions tr[data-symbol="IWM"]');
    const widths = await page.evaluate<{ page: number; body: number; chart: number }>(
      `({ page: document.documentElement.scrollWidth, body: document.body.scrollWidth, chart: document.querySelector('#equity-chart canvas').getBoundingClientRect().right })`,
    );
    expect(widths.page).toBeLessThanOrEqual(390);
    expect(widths.body).toBeLessThanOrEqual(390);
    expect(widths.chart).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'team-dashboard-390.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
