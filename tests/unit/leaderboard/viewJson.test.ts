import { describe, expect, it } from 'vitest';
import { SPARKLINE_POINTS } from '../../../server/leaderboard/boardState.ts';
import { buildLeaderboardView, type TeamStanding } from '../../../server/leaderboard/view.ts';
import { leaderboardJson, SparklineTexts } from '../../../server/leaderboard/viewJson.ts';
import { MetricsAccumulator } from '../../../server/trading/metrics/metrics.ts';
import { seededRandom } from '../../support/seededRandom.ts';

// Names a placeholder search could trip on, and numbers whose text is unusual.
const NAMES = ['plain', 'quote " and \\ backslash', 'x","sparkline":0,"y', '{"leaderboard":0', 'ünïcödé ✓', ',"sparkline":0'];
const ODD_VALUES = [-0, 0, 1e21, 1.5e-7, 5e-324, -123_456.7891, 100_000.0001, Number.MAX_SAFE_INTEGER];

function standing(teamId: string, name: string, sparkline: number[], minute: number): TeamStanding {
  const accumulator = new MetricsAccumulator({ minObservations: 2 });
  sparkline.forEach((value, i) => accumulator.observeEquity(i * 60_000, value === 0 ? 1 : Math.abs(value)));
  const equity = sparkline.at(-1) ?? 0;
  return {
    teamId,
    name,
    enabled: teamId.length % 2 === 0,
    halted: false,
    minute,
    equity,
    cash: equity,
    positionsValue: 0,
    startingCash: 100_000,
    metrics: accumulator.snapshot(),
    currentDrawdown: null,
    sparkline: [...sparkline],
  };
}

describe('leaderboardJson', () => {
  it('is JSON.stringify(view) byte for byte minute after minute, whatever happens to the sparklines', () => {
    const random = seededRandom(14);
    const texts = new SparklineTexts();
    const series = new Map<string, number[]>();
    for (let i = 0; i < 12; i++) series.set(`team-${String(i)}`, []);
    for (let minute = 1; minute <= SPARKLINE_POINTS + 40; minute++) {
      for (const [teamId, values] of series) {
        const draw = random();
        if (draw < 0.03) {
          // A rebuilt board: the sparkline is rewritten.
          values.splice(0, values.length, ...values.map(() => Math.round(random() * 1e9) / 1e4));
        } else if (draw < 0.06) {
          // The same minute computed again: nothing moves.
        } else {
          const odd = random() < 0.1 ? ODD_VALUES[Math.floor(random() * ODD_VALUES.length)]! : Math.round((90_000 + random() * 20_000) * 1e4) / 1e4;
          values.push(odd);
          if (values.length > SPARKLINE_POINTS) values.splice(0, values.length - SPARKLINE_POINTS);
        }
        if (random() < 0.01) series.delete(teamId);
      }
      if (random() < 0.1) series.set(`team-new-${String(minute)}`, []);
      const standings = [...series].map(([teamId, values], i) => standing(teamId, NAMES[i % NAMES.length]!, values, minute * 60_000));
      const view = buildLeaderboardView(standings, minute % 7 === 0, minute * 1_000);
      const expected = JSON.stringify(view);
      expect(leaderboardJson(view, texts)).toBe(expected);
      // Once more for the same view: every text is reused and still right.
      expect(leaderboardJson(view, texts)).toBe(expected);
    }
  });

  it('keeps texts only for the teams on the last board', () => {
    const texts = new SparklineTexts();
    expect(texts.json('a', [1, 2])).toBe('[1,2]');
    expect(texts.json('a', [2, 3])).toBe('[2,3]');
    expect(texts.json('a', [2, 3, -0])).toBe('[2,3,0]');
    expect(texts.json('a', [])).toBe('[]');
    expect(texts.json('b', [Number.NaN, 4])).toBe('[null,4]');
    expect(texts.json('b', [4, Number.NaN])).toBe('[4,null]');
    texts.retain(new Set(['a']));
    expect(texts.json('b', [7])).toBe('[7]');
  });
});
