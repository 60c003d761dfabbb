import { describe, expect, it } from 'vitest';
import { BoardState, decodeAccumulators, encodeAccumulators, SPARKLINE_POINTS, type BoardSnapshot } from '../../../server/leaderboard/boardState.ts';

const MINUTE = Date.UTC(2025, 0, 2, 14, 31);
const snap = (teamId: string, index: number, equity: number): BoardSnapshot => ({ teamId, minute: MINUTE + index * 60_000, equity, cash: equity, positionsValue: 0 });

describe('the leaderboard board', () => {
  it('takes each minute once, in minute order, and keeps the latest SPARKLINE_POINTS equities', () => {
    const board = new BoardState();
    const all = Array.from({ length: SPARKLINE_POINTS + 5 }, (_, i) => snap('a', i, 1_000_000_000 + i * 12_345));
    expect(board.advance([...all].reverse()).taken).toBe(all.length);
    expect(board.advance(all).taken).toBe(0); // already taken
    const team = board.teams.get('a')!;
    expect(team.recent).toHaveLength(SPARKLINE_POINTS);
    expect(team.recent.at(-1)).toBe(all.at(-1)!.equity / 10_000);
    expect(team.latest).toEqual(all.at(-1));
    expect(team.accumulator.snapshot().observations).toBe(all.length - 1);
    expect(board.watermark).toBe(all.at(-1)!.minute);
  });

  it('reports a snapshot the metrics refuse and goes on with the other teams', () => {
    const board = new BoardState();
    const { problems } = board.advance([snap('a', 0, 100), snap('b', 0, -1), snap('b', 1, 100), snap('a', 1, 110)]);
    expect(problems).toEqual([{ teamId: 'b', minute: MINUTE, message: expect.stringMatching(/non-negative/) as string }]);
    expect(board.teams.get('a')!.accumulator.snapshot().observations).toBe(1);
    expect(board.teams.get('b')!.accumulator.snapshot().observations).toBe(0);
    expect(board.teams.get('b')!.recent).toEqual([-0.0001, 0.01]);
  });

  it('encodes the accumulators to the bit and back (nulls, fractions)', () => {
    const board = new BoardState();
    board.advance([snap('a', 0, 1_000_000), snap('a', 1, 999_999), snap('a', 2, 1_000_003), snap('b', 2, 0)]);
    const ids = ['a', 'b'];
    const decoded = decodeAccumulators(ids, encodeAccumulators(board, ids));
    expect(decoded.get('b')).toStrictEqual(board.teams.get('b')!.accumulator.state());
    expect(decoded.get('a')).toStrictEqual(board.teams.get('a')!.accumulator.state());
    expect(decoded.get('b')!.drawdown.maxRecoveryIndex).toBeNull();
    expect(() => decodeAccumulators(['a'], Buffer.alloc(8))).toThrow(/bytes for 1 teams/);
  });
});
