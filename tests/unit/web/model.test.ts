import { describe, expect, it } from 'vitest';
import { changedTeams, decodeHistory, decodeLeaderboard, describeActivity, nextSeries, reconnectDelay, summarise, unwrapActivity, type Board } from '../../../web/assets/model.js';

const entry = (overrides: Record<string, unknown> = {}) => ({
  rank: 1,
  team_id: 'alpha',
  name: 'Alpha Team',
  portfolio_value: 100_500.25,
  total_return: 0.005,
  sharpe_ratio: 1.85,
  max_drawdown: -0.0123,
  ranked: true,
  halted: false,
  sparkline: [100_000, 100_500.25],
  ...overrides,
});

describe('decodeLeaderboard', () => {
  it('reads the server board (GET /leaderboard and the WebSocket push share it)', () => {
    const board = decodeLeaderboard({
      leaderboard: [entry({ rank: 2, team_id: 'beta', name: 'Beta', portfolio_value: 99_000 }), entry()],
      minute: '2025-11-21T15:31:00.000Z',
      competition_halted: true,
    });
    expect(board).toEqual({
      rows: [
        {
          teamId: 'alpha',
          name: 'Alpha Team',
          rank: 1,
          equity: 100_500.25,
          totalReturn: 0.005,
          sharpe: 1.85,
          maxDrawdown: -0.0123,
          ranked: true,
          halted: false,
          sparkline: [100_000, 100_500.25],
        },
        {
          teamId: 'beta',
          name: 'Beta',
          rank: 2,
          equity: 99_000,
          totalReturn: 0.005,
          sharpe: 1.85,
          maxDrawdown: -0.0123,
          ranked: true,
          halted: false,
          sparkline: [100_000, 100_500.25],
        },
      ],
      minute: Date.parse('2025-11-21T15:31:00.000Z'),
      competitionHalted: true,
    });
  });

  it('accepts the original minimal shape, naming a team by its id and numbering ranks in order', () => {
    const board = decodeLeaderboard({
      leaderboard: [
        { team_id: 'test1', portfolio_value: 10542.75 },
        { team_id: 'test2', portfolio_value: 9875.5 },
      ],
    });
    expect(board?.rows.map((row) => [row.rank, row.name, row.sharpe, row.sparkline])).toEqual([
      [1, 'test1', null, null],
      [2, 'test2', null, null],
    ]);
    expect(board?.minute).toBeNull();
  });

  it('drops rows without a team id or an equity, and nulls figures that are not finite numbers', () => {
    const board = decodeLeaderboard({
      leaderboard: [entry({ team_id: '' }), entry({ portfolio_value: '1' }), { portfolio_value: 5 }, entry({ sharpe_ratio: 'NaN', total_return: null, sparkline: [1, 'x', 2] })],
    });
    expect(board?.rows).toHaveLength(1);
    expect(board?.rows[0]).toMatchObject({ sharpe: null, totalReturn: null, sparkline: [1, 2] });
  });

  it('is null for anything that is not a board', () => {
    expect(decodeLeaderboard(null)).toBeNull();
    expect(decodeLeaderboard({ type: 'tick' })).toBeNull();
    expect(decodeLeaderboard([entry()])).toBeNull();
  });
});

describe('decodeHistory', () => {
  it('orders each team’s points by time and keeps the values', () => {
    const series = decodeHistory({
      days: 1,
      teams: {
        alpha: [
          { timestamp: '2025-11-21T15:32:00Z', value: 3 },
          { timestamp: '2025-11-21T15:30:00Z', value: 1 },
          { timestamp: '2025-11-21T15:31:00Z', value: 2 },
          { timestamp: '2025-11-21T15:33:00Z', value: 'bad' },
        ],
        beta: 'nothing',
      },
    });
    expect([...series]).toEqual([['alpha', [1, 2, 3]]]);
  });

  it('is empty for an unexpected answer', () => {
    expect(decodeHistory({ error: 'not_found' }).size).toBe(0);
  });
});

describe('nextSeries', () => {
  it('uses the board’s own sparkline when it has one', () => {
    expect(nextSeries([1, 2], { sparkline: [5, 6, 7], equity: 7 }, true)).toEqual([5, 6, 7]);
  });

  it('extends a fetched history by each new minute, and replaces the last point on a repeat of the same minute', () => {
    expect(nextSeries([1, 2], { sparkline: null, equity: 3 }, true)).toEqual([1, 2, 3]);
    expect(nextSeries([1, 2, 3], { sparkline: null, equity: 4 }, false)).toEqual([1, 2, 4]);
    expect(nextSeries(undefined, { sparkline: [], equity: 9 }, false)).toEqual([9]);
  });
});

describe('changedTeams', () => {
  const board = (rows: Array<[string, number, number]>): Board => ({
    rows: rows.map(([teamId, rank, equity]) => ({
      teamId,
      rank,
      equity,
      name: teamId,
      totalReturn: null,
      sharpe: null,
      maxDrawdown: null,
      ranked: true,
      halted: false,
      sparkline: null,
    })),
    minute: null,
    competitionHalted: false,
  });

  it('names teams whose equity or rank moved, and teams new on the board', () => {
    const before = board([
      ['a', 1, 10],
      ['b', 2, 9],
      ['c', 3, 8],
    ]);
    const after = board([
      ['b', 1, 11],
      ['a', 2, 10],
      ['c', 3, 8],
      ['d', 4, 1],
    ]);
    expect([...changedTeams(before, after)].sort()).toEqual(['a', 'b', 'd']);
    expect(changedTeams(after, after).size).toBe(0);
  });
});

describe('summarise', () => {
  it('says who leads and when', () => {
    const board = decodeLeaderboard({ leaderboard: [entry()], minute: '2025-11-21T15:31:00Z' })!;
    expect(summarise(board, () => '10:31')).toBe('Leaderboard updated at 10:31: Alpha Team leads with $100,500.25.');
    expect(summarise({ rows: [], minute: null, competitionHalted: false }, () => '')).toBe('No team is on the board yet.');
  });
});

describe('describeActivity', () => {
  const names = (id: string) => ({ alpha: 'Alpha Team' })[id] ?? id;

  it('turns trades and other events into one line, with team names', () => {
    expect(describeActivity({ type: 'trade', at: 5, teamId: 'alpha', symbol: 'AAPL', side: 'buy', quantity: 10, price: 190.5, clientOrderId: 'x' }, names)).toEqual({
      at: 5,
      kind: 'buy',
      text: 'Alpha Team bought 10 shares of AAPL at $190.50',
    });
    expect(describeActivity({ type: 'trade', at: 5, teamId: 'beta', symbol: 'SPY', side: 'sell', quantity: 1, price: 600, clientOrderId: 'x' }, names)?.text).toBe(
      'beta sold 1 share of SPY at $600.00',
    );
    expect(describeActivity({ type: 'version_activated', at: 1, teamId: 'alpha', commit: '0123456789abcdef', message: 'm' }, names)?.text).toBe('Alpha Team deployed 0123456');
    expect(describeActivity({ type: 'strategy_error', at: 1, teamId: 'alpha', kind: 'timeout', message: 'secret detail' }, names)?.text).toBe('Alpha Team: strategy timeout error');
    expect(describeActivity({ type: 'competition_halted', at: 1, reason: 'maintenance' }, names)).toMatchObject({ kind: 'halt', text: 'Competition halted (maintenance)' });
  });

  it('leaves out ticks, leaderboard updates and anything unknown', () => {
    expect(describeActivity({ type: 'tick', at: 1, minute: 1, teams: 3, durationMs: 5, stages: {} }, names)).toBeNull();
    expect(describeActivity({ type: 'leaderboard', at: 1, minute: 1, top: [] }, names)).toBeNull();
    expect(describeActivity({ type: 'mystery' }, names)).toBeNull();
    expect(describeActivity('trade', names)).toBeNull();
  });
});

describe('unwrapActivity', () => {
  it('takes the event out of an activity entry and leaves a bare event as it is', () => {
    const event = { type: 'team_resumed', at: 1, teamId: 'alpha' };
    expect(unwrapActivity({ id: '1-0', timestamp: '1970-01-01T00:00:00.001Z', type: 'team_resumed', message: 'alpha resumed', event })).toBe(event);
    expect(unwrapActivity(event)).toBe(event);
    expect(unwrapActivity('x')).toBe('x');
  });
});

describe('reconnectDelay', () => {
  it('doubles from one second up to thirty, with at most 20 % taken off as jitter', () => {
    const noJitter = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7].map((attempt) => reconnectDelay(attempt, 1_000, 30_000, noJitter))).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
    expect(reconnectDelay(1, 1_000, 30_000, () => 0)).toBe(800);
  });
});
