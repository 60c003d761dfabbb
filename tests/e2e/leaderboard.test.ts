/**
 * The live leaderboard page in a real browser: Debian's headless Chromium, driven by playwright-core,
 * against the real server routes on real Postgres and Redis. A tick's leaderboard update is caused the
 * way the minute job causes it (fills and equity snapshots through the ledger, then
 * computeAndPublishLeaderboard), and the table must change in place, without a reload.
 *
 * Skips (and says why) where /usr/bin/chromium is missing; .ci/run installs it, so CI runs it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishActivity } from '../../server/live/activity.ts';
import { clientOrderId } from '../../server/trading/clientOrderId.ts';
import { browserSuiteTitle, haveChromium, screenshotDir, startE2eWorld, type E2eWorld } from './support.ts';

// Two market minutes of a Tuesday session (14:31 and 14:32 UTC = 09:31 and 09:32 New York).
const MINUTE_1 = Date.UTC(2025, 10, 18, 14, 31);
const MINUTE_2 = MINUTE_1 + 60_000;
// A team names itself: the page must show this text, never interpret it.
const HOSTILE_NAME = '<img src=x onerror="document.title=\'owned\'"> Beta & Sons';

describe.skipIf(!haveChromium)(browserSuiteTitle('live leaderboard page in headless Chromium'), () => {
  let world: E2eWorld;
  let address: string;

  const rowOrder = async (page: Page) => Promise.all((await page.locator('#board-rows tr').all()).map((row) => row.getAttribute('data-team-id')));
  const cellText = (page: Page, teamId: string, field: string) => page.textContent(`#board-rows tr[data-team-id="${teamId}"] [data-field="${field}"]`);

  beforeAll(async () => {
    world = await startE2eWorld([
      ['alpha', 'Alpha Capital'],
      ['beta', HOSTILE_NAME],
      ['gamma', 'Gamma Rays'],
    ]);
    address = world.address;
    expect(await world.trade('alpha', MINUTE_1, 1, 'buy', 'SPY', 100, 100, 100)).toBe('recorded');
    expect(await world.trade('beta', MINUTE_1, 1, 'buy', 'QQQ', 300, 100, 100)).toBe('recorded');
    await world.closeMinute(MINUTE_1, { SPY: 100, QQQ: 100 });
  });

  afterAll(async () => {
    await world?.close();
  });

  it('shows the board, then changes it in place when a tick publishes a new one', async () => {
    const page = await world.browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    const boardsPushed: string[] = [];
    page.on('websocket', (socket) => {
      if (socket.url().endsWith('/ws/leaderboard')) socket.on('framereceived', (frame) => boardsPushed.push(String(frame.payload)));
    });

    await page.goto(`${address}/`);
    await page.waitForSelector('#board-rows tr[data-team-id="gamma"]');
    await page.waitForSelector('#connection[data-state="live"]');

    // Minute 1: everyone at $100,000; ties in id order.
    expect(await rowOrder(page)).toEqual(['alpha', 'beta', 'gamma']);
    expect(await cellText(page, 'alpha', 'equity')).toBe('$100,000.00');
    expect(await cellText(page, 'alpha', 'rank')).toBe('1');
    // The team's own text is shown as text: no element made from it, no script run.
    expect(await cellText(page, 'beta', 'team')).toBe(`${HOSTILE_NAME}unrankedbeta`);
    expect(await page.locator('#board-rows img').count()).toBe(0);
    expect(await page.title()).toBe('QTC — live leaderboard');
    // A marker that a reload would wipe.
    await page.evaluate(() => {
      (globalThis as unknown as { keptAcrossUpdates: string }).keptAcrossUpdates = 'yes';
    });
    const pushesBefore = boardsPushed.length;

    // Minute 2: SPY falls to $95, QQQ rises to $110: beta 70,000 + 33,000, gamma flat, alpha 90,000 + 9,500.
    await world.closeMinute(MINUTE_2, { SPY: 95, QQQ: 110 });
    await page.waitForSelector('#board-rows tr:first-child[data-team-id="beta"]');

    expect(await rowOrder(page)).toEqual(['beta', 'gamma', 'alpha']);
    expect(await cellText(page, 'beta', 'equity')).toBe('$103,000.00');
    expect(await cellText(page, 'beta', 'rank')).toBe('1');
    expect(await cellText(page, 'beta', 'return')).toBe('+3.00%');
    expect(await cellText(page, 'alpha', 'equity')).toBe('$99,500.00');
    expect(await cellText(page, 'alpha', 'return')).toBe('-0.50%');
    expect(await cellText(page, 'alpha', 'drawdown')).toBe('0.50%');
    expect(await cellText(page, 'gamma', 'rank')).toBe('2');
    // Each sparkline now draws the two minutes.
    const points = await page.getAttribute('#board-rows tr[data-team-id="beta"] svg.spark polyline', 'points');
    expect(points?.split(' ')).toHaveLength(2);
    expect(await page.getAttribute('#board-rows tr[data-team-id="beta"] svg.spark', 'aria-label')).toBe('Equity up +3.00% over the last 2 minutes');
    expect(await page.textContent('#board-status')).toBe('Leaderboard updated at Nov 18, 09:32 ET: ' + HOSTILE_NAME + ' leads with $103,000.00.');

    // It came over the WebSocket, into the same document.
    expect(boardsPushed.length).toBeGreaterThan(pushesBefore);
    expect(navigations).toBe(1);
    expect(await page.evaluate(() => (globalThis as unknown as { keptAcrossUpdates?: string }).keptAcrossUpdates)).toBe('yes');

    // The activity ticker follows the SSE stream.
    await publishActivity(
      world.redis,
      { type: 'trade', at: MINUTE_2 + 5_000, teamId: 'gamma', symbol: 'IWM', side: 'buy', quantity: 7, price: 210.5, clientOrderId: clientOrderId('gamma', MINUTE_2, 1) },
      world.keys.activityStream,
    );
    await page.waitForSelector('#activity li.buy');
    expect(await page.textContent('#activity li.buy')).toBe('09:32Gamma Rays bought 7 shares of IWM at $210.50');

    if (screenshotDir) {
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, 'leaderboard-after-tick.png'), fullPage: true });
    }
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('falls back to polling GET /leaderboard while the WebSocket cannot connect', async () => {
    const context = await world.browser.newContext();
    // Every WebSocket upgrade to the board fails, as behind a proxy that does not pass them.
    await context.routeWebSocket(/\/ws\/leaderboard$/, (socket) => socket.close({ code: 1011, reason: 'refused by the test' }));
    const page = await context.newPage();
    await page.goto(`${address}/`);
    await page.waitForSelector('#connection[data-state="reconnecting"]');
    await page.waitForSelector('#board-rows tr[data-team-id="beta"]');
    const minute3 = MINUTE_2 + 60_000;
    await world.closeMinute(minute3, { SPY: 120, QQQ: 110 });
    // alpha: 90,000 + 12,000 = 102,000; beta stays at 103,000.
    await page.waitForSelector('#board-rows tr[data-team-id="alpha"] [data-field="equity"]:text-is("$102,000.00")', { timeout: 30_000 });
    expect(await rowOrder(page)).toEqual(['beta', 'alpha', 'gamma']);
    await context.close();
  }, 90_000);
});
