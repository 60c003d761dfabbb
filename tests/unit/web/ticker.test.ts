import { describe, expect, it } from 'vitest';
import { createTicker } from '../../../web/assets/ticker.js';

const MINUTE = Date.UTC(2025, 10, 18, 14, 31);
const names: Record<string, string> = { alpha: 'Alpha Capital', beta: 'Beta', gamma: 'Gamma', delta: 'Delta' };
const nameOf = (id: string) => names[id] ?? id;
const error = (teamId: string, at: number) => ({ id: `${at}-0`, event: { type: 'strategy_error', at, teamId, kind: 'runtime', message: 'x is undefined' } });

describe('public activity ticker', () => {
  it('gives trades, versions and halts a line each, at market time', () => {
    const ticker = createTicker(nameOf);
    expect(
      ticker.push({ id: '1-0', event: { type: 'trade', at: MINUTE + 30_000, teamId: 'alpha', symbol: 'SPY', side: 'buy', quantity: 1, price: 500, clientOrderId: 'c' } }),
    ).toEqual({
      key: '1-0',
      at: MINUTE + 30_000,
      kind: 'buy',
      text: 'Alpha Capital bought 1 share of SPY at $500.00',
      replace: false,
    });
    // A tick tells the market minute; a push (wall-clock time) is shown at it.
    expect(ticker.push({ id: '2-0', event: { type: 'tick', at: Date.now(), minute: MINUTE + 60_000, teams: 3, durationMs: 5, stages: {} } })).toBeNull();
    expect(ticker.push({ id: '3-0', event: { type: 'version_activated', at: Date.now(), teamId: 'beta', commit: 'abcdef0123', message: 'tune' } })).toMatchObject({
      at: MINUTE + 60_000,
      kind: 'version',
      text: 'Beta deployed abcdef0',
    });
    expect(
      ticker.push({ id: '4-0', event: { type: 'version_rejected', at: Date.now(), teamId: 'beta', commit: 'abcdef0123', reason: 'rejected at the check stage: 2 findings' } }),
    ).toMatchObject({
      kind: 'rejected',
      text: 'Beta: commit abcdef0 rejected at the check stage: 2 findings',
    });
    expect(ticker.push({ id: '5-0', event: { type: 'competition_halted', at: Date.now(), reason: 'maintenance' } })).toMatchObject({
      kind: 'halt',
      text: 'Competition halted (maintenance)',
    });
    expect(ticker.push({ id: '6-0', event: { type: 'leaderboard', at: 0, minute: MINUTE, top: [] } })).toBeNull();
  });

  it('sums strategy errors and rejected orders up in one line per minute, updated in place', () => {
    const ticker = createTicker(nameOf);
    ticker.setMarketMinute(MINUTE);
    const wall = Date.UTC(2026, 0, 5, 15, 0, 10);
    const first = ticker.push(error('alpha', wall));
    expect(first).toEqual({
      key: `strategy_error:${Math.floor(wall / 60_000)}`,
      at: MINUTE,
      kind: 'error',
      text: '1 team had strategy errors (1 error): Alpha Capital',
      replace: false,
    });
    ticker.push(error('alpha', wall + 1_000));
    ticker.push(error('beta', wall + 2_000));
    ticker.push(error('gamma', wall + 3_000));
    expect(ticker.push(error('delta', wall + 4_000))).toEqual({ ...first, text: '4 teams had strategy errors (5 errors): Alpha Capital, Beta, Gamma +1', replace: true });
    // The next minute starts a new line.
    expect(ticker.push(error('alpha', wall + 60_000))).toMatchObject({ replace: false, text: '1 team had strategy errors (1 error): Alpha Capital' });
    expect(ticker.push({ id: '9-0', event: { type: 'order_rejected', at: wall, teamId: 'beta', symbol: 'QQQ', code: 'insufficient_cash', message: 'm' } })).toMatchObject({
      kind: 'rejected',
      text: '1 order rejected, 1 team: Beta',
    });
  });
});
