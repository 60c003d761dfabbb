/**
 * The team dashboard in a real browser: a team opens it with its key and sees its own figures, trades
 * and rejected orders from the team endpoints; another team's key is refused with the reason; the key
 * lives in sessionStorage (kept across a reload, gone after "Forget key").
 * Skips (and says why) where /usr/bin/chromium is missing.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuiteTitle, haveChromium, screenshotDir, startE2eWorld, type E2eWorld } from './support.ts';

const MINUTE_1 = Date.UTC(2025, 10, 18, 14, 31);
const MINUTE_2 = MINUTE_1 + 60_000;

describe.skipIf(!haveChromium)(browserSuiteTitle('team dashboard in headless Chromium'), () => {
  let world: E2eWorld;
  let alphaKey: string;
  let betaKey: string;

  beforeAll(async () => {
    world = await startE2eWorld([
      ['alpha', 'Alpha Capital'],
      ['beta', 'Beta Partners'],
    ]);
    expect(await world.trade('alpha', MINUTE_1, 1, 'buy', 'SPY', 100, 100, 100)).toBe('recorded');
    // Selling shares it does not hold: stored as a rejected order with the book's reason.
    expect(await world.trade('alpha', MINUTE_1, 2, 'sell', 'QQQ', 5, 100)).toBe('refused');
    await world.closeMinute(MINUTE_1, { SPY: 100, QQQ: 100 });
    await world.closeMinute(MINUTE_2, { SPY: 95, QQQ: 100 });
    alphaKey = (await world.apiKeys.issue('alpha', 'e2e')).key;
    betaKey = (await world.apiKeys.issue('beta', 'e2e')).key;
  });

  afterAll(async () => {
    await world?.close();
  });

  async function openWith(page: Page, teamId: string, key: string): Promise<void> {
    await page.fill('#team-id', teamId);
    await page.fill('#team-key', key);
    await page.click('#key-form button[type="submit"]');
  }

  const factOf = (page: Page, list: string, label: string) => page.textContent(`#${list} dt:text-is("${label}") + dd`);

  it("shows a team its own figures, trades and rejected orders, and keeps the key for the tab's life", async () => {
    const page = await world.browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    const authorizations: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/team/')) authorizations.push(request.headers().authorization ?? '');
    });

    await page.goto(`${world.address}/team?team=alpha`);
    expect(await page.inputValue('#team-id')).toBe('alpha');
    await openWith(page, 'alpha', alphaKey);
    await page.waitForSelector('#dashboard:not([hidden]) #trades tr');

    expect(await page.textContent('#team-name')).toBe('Alpha Capital (alpha)');
    expect(await factOf(page, 'metrics', 'Equity')).toBe('$99,500.00');
    expect(await factOf(page, 'metrics', 'Return')).toBe('-0.50%');
    expect(await factOf(page, 'metrics', 'Max drawdown')).toBe('0.50%');
    expect(await factOf(page, 'strategy', 'Active version')).toBe('none yet: push a strategy that passes the checks');
    const trade = await page.locator('#trades tr').first().locator('td').allTextContents();
    expect(trade.slice(1, 5)).toEqual(['Buy', '100', 'SPY', '$100.00']);
    expect(await page.textContent('#rejected li')).toMatch(/^Nov 18, 09:31 ET sell 5 QQQ: not reserved: /);
    expect(await page.isVisible('#logs-empty')).toBe(true);
    // The key went as a Bearer header, never in a URL.
    expect(authorizations.length).toBeGreaterThan(0);
    expect(new Set(authorizations)).toEqual(new Set([`Bearer ${alphaKey}`]));
    expect(page.url()).not.toContain(alphaKey);

    if (screenshotDir) {
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: path.join(screenshotDir, 'team-dashboard.png'), fullPage: true });
    }

    // A reload keeps the session (sessionStorage); "Forget key" ends it.
    await page.reload();
    await page.waitForSelector('#dashboard:not([hidden]) #trades tr');
    await page.click('#sign-out');
    await page.waitForSelector('#sign-in:not([hidden])');
    expect(await page.evaluate(() => globalThis.sessionStorage.getItem('qtc.team'))).toBeNull();
    expect(problems).toEqual([]);
    await page.close();
  });

  it("refuses another team's key and a wrong key with the reason, showing no data", async () => {
    const page = await world.browser.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(`${world.address}/team`);
    await openWith(page, 'alpha', betaKey);
    await page.waitForSelector('#message:has-text("another team")');
    expect(await page.textContent('#message')).toBe('This key is for another team (this key belongs to team "beta"; it cannot access team "alpha").');
    expect(await page.isHidden('#dashboard')).toBe(true);
    expect(await page.evaluate(() => globalThis.sessionStorage.getItem('qtc.team'))).toBeNull();

    await openWith(page, 'alpha', `${alphaKey.slice(0, -1)}x`);
    await page.waitForSelector('#message:has-text("was not accepted")');
    expect(await page.isHidden('#dashboard')).toBe(true);
    await page.close();
  });
});
