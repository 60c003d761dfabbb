import { describe, expect, it } from 'vitest';
import { buildLeaderboardView, sortEntries, topOf, type TeamStanding } from '../../../server/leaderboard/view.ts';
import { compareStreamIds, isStreamId } from '../../../server/live/streamIds.ts';
import { describeActivity, sseFrames } from '../../../server/live/format.ts';
import { MetricsAccumulator } from '../../../server/trading/metrics/metrics.ts';

function standing(teamId: string, equity: number, equities: number[] = [100_000, equity]): TeamStanding {
  const accumulator = new MetricsAccumulator({ minObservations: 2 });
  equities.forEach((value, i) => accumulator.observeEquity(i * 60_000, value));
  return {
    teamId,
    name: teamId.toUpperCase(),
    enabled: true,
    halted: false,
    minute: 60_000,
    equity,
    cash: equity,
    positionsValue: 0,
    startingCash: 100_000,
    metrics: accumulator.snapshot(),
    currentDrawdown: null,
    sparkline: equities,
  };
}

describe('buildLeaderboardView', () => {
  it('ranks by equity (ties by id) with the original field names and a negative max drawdown', () => {
    const view = buildLeaderboardView([standing('b', 100_000), standing('c', 101_000), standing('a', 100_000, [100_000, 90_000, 100_000])], false, 0);
    expect(view.leaderboard.map((entry) => [entry.rank, entry.team_id, entry.portfolio_value])).toEqual([
      [1, 'c', 101_000],
      [2, 'a', 100_000],
      [3, 'b', 100_000],
    ]);
    expect(view.leaderboard[1]!.max_drawdown).toBeCloseTo(-0.1, 6);
    expect(view.leaderboard[1]!.max_drawdown_percentage).toBeCloseTo(-10, 4);
    expect(view.leaderboard[0]!.total_return_percentage).toBeCloseTo(1, 4);
    expect(view.minute).toBe(new Date(60_000).toISOString());
    expect(topOf(view, 2)).toEqual([
      { rank: 1, teamId: 'c', equity: 101_000, totalReturn: 101_000 / 100_000 - 1 },
      { rank: 2, teamId: 'a', equity: 100_000, totalReturn: 0 },
    ]);
  });

  it('serves every figure at full precision: metrics exactly as computed, dollars to the 1/10,000', () => {
    // A return of 1.234e-7 was served as 0 (6 decimals), and 0.0017967 as 0.001797 (relative error 1.7e-4).
    const tiny = standing('t', 100_000.0123, [100_000, 100_000.0123]);
    const small = standing('s', 100_360, [100_180, 100_360]);
    const view = buildLeaderboardView([tiny, small], false, 0);
    const byId = new Map(view.leaderboard.map((entry) => [entry.team_id, entry]));
    for (const source of [tiny, small]) {
      const entry = byId.get(source.teamId)!;
      const m = source.metrics;
      expect(entry.total_return).toBe(m.totalReturn);
      expect(entry.total_return_percentage).toBe(m.totalReturn === null ? null : m.totalReturn * 100);
      expect(entry.annualized_return).toBe(m.annualizedReturn);
      expect(entry.annualized_volatility).toBe(m.volatility);
      expect(entry.sharpe_ratio).toBe(m.sharpe);
      expect(entry.sortino_ratio).toBe(m.sortino);
      expect(entry.calmar_ratio).toBe(m.calmar);
      expect(entry.win_rate).toBe(m.winRate);
      expect(entry.profit_factor).toBe(m.profitFactor);
      expect(entry.portfolio_value).toBe(source.equity);
      expect(entry.sparkline).toEqual(source.sparkline);
    }
    expect(byId.get('t')!.total_return).toBeGreaterThan(0);
    expect(byId.get('t')!.total_return).toBeCloseTo(1.23e-7, 12);
    expect(byId.get('t')!.portfolio_value).toBe(100_000.0123);
    expect(byId.get('s')!.total_return).not.toBe(0.001797);
    expect(byId.get('s')!.total_return).toBeCloseTo(100_360 / 100_180 - 1, 15);
  });

  it('has no minute before any snapshot', () => {
    expect(buildLeaderboardView([], true, 0)).toEqual({ leaderboard: [], minute: null, updated_at: new Date(0).toISOString(), competition_halted: true });
  });
});

describe('sortEntries', () => {
  it('puts higher values first, teams without a value last, and re-ranks', () => {
    const view = buildLeaderboardView([standing('a', 100_000, [100_000]), standing('b', 99_000), standing('c', 102_000)], false, 0);
    expect(sortEntries(view.leaderboard, 'total_return').map((entry) => [entry.rank, entry.team_id])).toEqual([
      [1, 'c'],
      [2, 'a'],
      [3, 'b'],
    ]);
    // Max drawdown is negative: closer to zero ranks higher, no drawdown (null) last.
    expect(sortEntries(view.leaderboard, 'max_drawdown').map((entry) => entry.team_id)).toEqual(['b', 'c', 'a']);
  });
});

describe('stream ids and SSE frames', () => {
  it('compares Redis Stream ids numerically, not as text', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    expect(compareStreamIds('1736000000000-5', '1736000000000-5')).toBe(0);
    expect(compareStreamIds('1736000000001-0', '1736000000000-99')).toBe(1);
  });

  it('takes as a resume point only what Redis accepts as a stream id (two unsigned 64-bit numbers)', () => {
    for (const id of ['0-0', '1736000000000-5', '18446744073709551615-18446744073709551615']) expect(isStreamId(id), id).toBe(true);
    for (const id of ['18446744073709551616-0', '1-18446744073709551616', '99999999999999999999-0', '-1', '1-', '$', '1736000000000', ' 1-0', '1-0\n'])
      expect(isStreamId(id), id).toBe(false);
  });

  it('frames events without an event name, so EventSource.onmessage sees them', () => {
    const text = sseFrames([{ id: '5-0', event: { type: 'team_halted', at: 0, teamId: 'a', reason: 'why' } }]);
    expect(text).toBe(
      `id: 5-0\ndata: ${JSON.stringify({ id: '5-0', timestamp: '1970-01-01T00:00:00.000Z', type: 'team_halted', message: 'a halted: why', event: { type: 'team_halted', at: 0, teamId: 'a', reason: 'why' } })}\n\n`,
    );
    expect(describeActivity({ type: 'trade', at: 0, teamId: 'a', symbol: 'SPY', side: 'sell', quantity: 3, price: 1234.5, clientOrderId: 'x' })).toBe('a sold 3 SPY at $1,234.50');
  });
});
