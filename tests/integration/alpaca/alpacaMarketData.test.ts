import { afterEach, describe, expect, it } from 'vitest';
import type { Bar } from '../../../data/market/bar.ts';
import { embeddedCalendar } from '../../../data/market/calendar.ts';
import { AlpacaCalendar } from '../../../data/market/alpaca/alpacaCalendar.ts';
import { createAlpacaLimiter } from '../../../data/market/alpaca/alpacaClient.ts';
import { AlpacaMarketData, type AlpacaMarketDataOptions } from '../../../data/market/alpaca/alpacaMarketData.ts';
import { FakeAlpaca } from '../../fixtures/fakeAlpaca/index.ts';
import { silentLog } from '../../support/silentLog.ts';

const OPEN = Date.UTC(2025, 6, 8, 13, 30); // 2025-07-08 09:30 New York
const MINUTE = 60_000;

function makeBars(symbols: string[], minutes: number): Bar[] {
  const bars: Bar[] = [];
  symbols.forEach((symbol, s) => {
    for (let m = 0; m < minutes; m++) {
      // IEX is sparse: MSFT does not trade in every third minute.
      if (symbol === 'MSFT' && m % 3 === 2) continue;
      const price = 100 + s * 50 + m * 0.01;
      bars.push({ symbol, timestamp: OPEN + m * MINUTE, open: price, high: price + 0.05, low: price - 0.05, close: price + 0.01, volume: 100 * (m + 1) });
    }
  });
  return bars;
}

let fake: FakeAlpaca | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function source(bars: Bar[], options: Partial<AlpacaMarketDataOptions> = {}, now = OPEN + 400 * MINUTE): Promise<{ fake: FakeAlpaca; data: AlpacaMarketData }> {
  fake = await FakeAlpaca.start({ bars, now: () => now });
  const data = new AlpacaMarketData({
    keyId: fake.keyId,
    secretKey: fake.secretKey,
    dataUrl: fake.url,
    feed: 'iex',
    limiter: createAlpacaLimiter(),
    logger: silentLog,
    now: () => now,
    requestTimeoutMs: 2_000,
    ...options,
  });
  return { fake, data };
}

describe('Alpaca market data against the fake Alpaca', () => {
  it('fetches multi-symbol 1Min bars on the IEX feed, following page tokens to the end', async () => {
    const bars = makeBars(['AAPL', 'MSFT', 'SPY'], 30);
    const { fake, data } = await source(bars, { pageLimit: 7 });
    const fetched = await data.fetchBars(['SPY', 'AAPL', 'MSFT'], OPEN, OPEN + 30 * MINUTE);
    expect(fetched).toHaveLength(bars.length);
    expect(fetched.map((bar) => `${bar.symbol}@${String(bar.timestamp)}`).sort()).toEqual(bars.map((bar) => `${bar.symbol}@${String(bar.timestamp)}`).sort());
    const requests = fake.exchanges.filter((e) => e.operation === 'stockBars');
    expect(requests).toHaveLength(Math.ceil(bars.length / 7));
    for (const request of requests) {
      expect(request.query.get('feed')).toBe('iex');
      expect(request.query.get('timeframe')).toBe('1Min');
      expect(request.query.get('symbols')).toBe('AAPL,MSFT,SPY');
    }
    expect(requests.slice(1).every((request) => request.query.get('page_token') !== null)).toBe(true);
    expect((requests.at(-1)?.body as { next_page_token: unknown }).next_page_token).toBeNull();
  });

  it('gives one minute as a snapshot: only that minute, absent symbols absent, closed minutes cached', async () => {
    const { fake, data } = await source(makeBars(['AAPL', 'MSFT', 'SPY'], 10));
    const minute = OPEN + 2 * MINUTE;
    const snapshot = await data.barsForMinute(minute, ['SPY', 'MSFT', 'AAPL', 'QQQ']);
    expect(snapshot).toMatchObject({ minute, source: 'alpaca', stale: false });
    expect([...snapshot.bars.keys()]).toEqual(['AAPL', 'SPY']);
    expect([...snapshot.bars.values()].every((bar) => bar.timestamp === minute)).toBe(true);
    const again = await data.barsForMinute(minute, ['AAPL', 'SPY', 'MSFT', 'QQQ']);
    expect(again.bars).toEqual(snapshot.bars);
    expect(fake.count('stockBars')).toBe(1);
    expect(data.stats().cacheHits).toBe(1);
  });

  it('does not cache a minute that has only just closed (Alpaca may still amend it)', async () => {
    const minute = OPEN + 5 * MINUTE;
    const { fake, data } = await source(makeBars(['SPY'], 10), {}, minute + MINUTE + 5_000);
    await data.barsForMinute(minute, ['SPY']);
    await data.barsForMinute(minute, ['SPY']);
    expect(fake.count('stockBars')).toBe(2);
  });

  it('serves the last known bars, flagged stale with a reason and counted, when Alpaca fails', async () => {
    const { fake, data } = await source(makeBars(['AAPL', 'SPY'], 10), { getRetries: 1 });
    await data.barsForMinute(OPEN + 3 * MINUTE, ['AAPL', 'SPY']);
    fake.injectFault({ operation: 'stockBars', respond: 503, times: 2 });
    const snapshot = await data.barsForMinute(OPEN + 4 * MINUTE, ['AAPL', 'SPY']);
    expect(snapshot.stale).toBe(true);
    expect(snapshot.staleReason).toMatch(/Alpaca did not answer .*service unavailable.*last known bars/);
    expect([...snapshot.bars.values()].map((bar) => bar.timestamp)).toEqual([OPEN + 3 * MINUTE, OPEN + 3 * MINUTE]);
    expect(data.stats().staleSnapshots).toBe(1);
    expect(data.stats().lastStale?.minute).toBe(OPEN + 4 * MINUTE);
    const fresh = await data.barsForMinute(OPEN + 4 * MINUTE, ['AAPL', 'SPY']);
    expect(fresh.stale).toBe(false);
  });

  it('rejects when Alpaca fails and there is nothing to fall back on', async () => {
    const { fake, data } = await source(makeBars(['SPY'], 5), { getRetries: 0 });
    fake.injectFault({ operation: 'stockBars', respond: 500 });
    await expect(data.barsForMinute(OPEN, ['SPY'])).rejects.toThrow(/no earlier bars of SPY to fall back on/);
  });

  it('streams a historical range minute by minute, equal to the per-minute snapshots', async () => {
    const { data } = await source(makeBars(['MSFT', 'SPY'], 6), { pageLimit: 4 });
    const snapshots = [];
    for await (const snapshot of data.minutes(OPEN, OPEN + 6 * MINUTE, ['SPY', 'MSFT'])) snapshots.push(snapshot);
    expect(snapshots.map((s) => s.minute)).toEqual([0, 1, 2, 3, 4, 5].map((m) => OPEN + m * MINUTE));
    for (const snapshot of snapshots) expect(await data.barsForMinute(snapshot.minute, ['SPY', 'MSFT'])).toEqual(snapshot);
  });

  it('reads latest bars and drops invalid bars, counting them', async () => {
    const bars = makeBars(['SPY', 'AAPL'], 5);
    bars.push({ symbol: 'BAD', timestamp: OPEN, open: 10, high: 9, low: 8, close: 9, volume: 1 });
    const { fake, data } = await source(bars, {}, OPEN + 3 * MINUTE + 10_000);
    const latest = await data.latestBars(['SPY', 'AAPL', 'BAD', 'NONE']);
    expect([...latest.keys()]).toEqual(['AAPL', 'SPY']);
    expect(latest.get('SPY')?.timestamp).toBe(OPEN + 2 * MINUTE);
    expect(fake.exchanges.find((e) => e.operation === 'stockLatestBars')?.query.get('feed')).toBe('iex');
    expect(data.stats().rejectedBars).toBe(1);
  });
});

describe('Alpaca calendar against the fake Alpaca', () => {
  async function calendar(fakeAlpaca: FakeAlpaca, from: string, to: string): Promise<AlpacaCalendar> {
    return AlpacaCalendar.load({
      keyId: fakeAlpaca.keyId,
      secretKey: fakeAlpaca.secretKey,
      paper: true,
      tradingUrl: fakeAlpaca.url,
      limiter: createAlpacaLimiter(),
      logger: silentLog,
      getRetries: 0,
      from,
      to,
    });
  }

  it("follows Alpaca's sessions, including a closure the embedded table does not know", async () => {
    fake = await FakeAlpaca.start();
    fake.sessions.overrides.set('2025-07-07', null);
    fake.sessions.overrides.set('2025-07-08', { open: '09:30', close: '13:00' });
    const alpaca = await calendar(fake, '2025-07-01', '2025-07-31');
    expect(alpaca.source).toBe('alpaca');
    expect(alpaca.sessionFor('2025-07-07')).toBeNull();
    expect(embeddedCalendar.sessionFor('2025-07-07')).not.toBeNull();
    expect(alpaca.sessionFor('2025-07-08')).toEqual({ date: '2025-07-08', open: Date.UTC(2025, 6, 8, 13, 30), close: Date.UTC(2025, 6, 8, 17, 0) });
    for (const date of ['2025-07-03', '2025-07-04', '2025-07-05', '2025-07-09']) expect(alpaca.sessionFor(date)).toEqual(embeddedCalendar.sessionFor(date));
    // Outside the loaded range the embedded table answers.
    expect(alpaca.sessionFor('2025-12-25')).toBeNull();
    expect(alpaca.sessionFor('2025-12-24')).toEqual(embeddedCalendar.sessionFor('2025-12-24'));
  });

  it('falls back to the embedded calendar, saying why, when Alpaca fails', async () => {
    fake = await FakeAlpaca.start();
    fake.injectFault({ operation: 'legacyCalendar', respond: 500 });
    const alpaca = await calendar(fake, '2025-07-01', '2025-07-31');
    expect(alpaca.source).toBe('embedded');
    expect(alpaca.fallbackReason).toMatch(/internal server error/);
    expect(alpaca.sessionFor('2025-07-03')).toEqual(embeddedCalendar.sessionFor('2025-07-03'));
    await alpaca.refresh('2025-07-01', '2025-07-31');
    expect(alpaca.source).toBe('alpaca');
  });

  it("reads Alpaca's clock", async () => {
    const now = Date.UTC(2025, 6, 8, 15, 0);
    fake = await FakeAlpaca.start({ now: () => now });
    const alpaca = await calendar(fake, '2025-07-08', '2025-07-08');
    expect(await alpaca.clock()).toEqual({ timestamp: now, isOpen: true, nextOpen: Date.UTC(2025, 6, 9, 13, 30), nextClose: Date.UTC(2025, 6, 8, 20, 0) });
  });
});
