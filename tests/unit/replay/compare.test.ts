import { describe, expect, it } from 'vitest';
import type { EquitySnapshot } from '../../../server/ledger/snapshots.ts';
import { compareSeason, same } from '../../../server/replay/compare.ts';
import type { RecordedFill, RecordedRun, RecordedSeason } from '../../../server/replay/recorded.ts';
import type { ReplayedFill, ReplayedRun, ReplayedSeason } from '../../../server/replay/run.ts';

const M0 = Date.UTC(2025, 6, 8, 13, 30);
const at = (index: number): number => M0 + index * 60_000;

const run = (signals: unknown[], error: RecordedRun['error'] = null): RecordedRun & ReplayedRun => ({
  signals: signals as RecordedRun['signals'],
  intents: [],
  rejections: [],
  error,
  versionId: 1,
});

const fill = (index: number, price: number): RecordedFill & ReplayedFill => ({
  executionId: `sim-t-a-${String(index)}-1`,
  clientOrderId: `t-a-${String(index)}-1`,
  teamId: 'a',
  symbol: 'SPY',
  side: 'buy',
  quantity: 2,
  price,
  at: at(index),
  closedTradePnl: null,
});

const snapshot = (index: number, equity: number): EquitySnapshot => ({
  teamId: 'a',
  minute: at(index),
  equity,
  cash: equity,
  reservedCash: 0,
  positionsValue: 0,
  unrealizedPnl: 0,
  realizedPnl: 0,
  positions: {},
  unpricedSymbols: [],
});

function season(runs: Array<RecordedRun | null>, fills: RecordedFill[], snapshots: EquitySnapshot[], status: 'completed' | 'failed' = 'completed'): RecordedSeason {
  return {
    ticks: runs.map((_, index) => ({ minute: at(index), status, barHash: '', bars: {}, prices: {}, teams: [{ teamId: 'a', versionId: 1 }], startedAt: at(index), errors: [] })),
    conditions: new Map(),
    loads: new Map(),
    runs: new Map(runs.flatMap((entry, index) => (entry === null ? [] : [[at(index), new Map([['a', entry]])] as const]))),
    registries: [],
    bundles: new Map(),
    randomSecret: '',
    fills: new Map([['a', fills]]),
    snapshots: new Map([['a', snapshots]]),
    metrics: new Map(),
  };
}

function replayed(runs: Array<ReplayedRun | null>, fills: ReplayedFill[], snapshots: EquitySnapshot[]): ReplayedSeason {
  return {
    minutes: runs.length,
    runs: new Map(runs.flatMap((entry, index) => (entry === null ? [] : [[at(index), new Map([['a', entry]])] as const]))),
    fills: new Map([['a', fills]]),
    snapshots: new Map([['a', snapshots]]),
    badBars: [],
    brokerMinutes: [],
    assumptions: [],
  };
}

const BUY = { symbol: 'SPY', action: 'buy', quantity: 2 };

describe('same', () => {
  it('ignores key order and undefined keys, and nothing else', () => {
    expect(same({ a: 1, b: [1, { c: 'x' }] }, { b: [1, { c: 'x' }], a: 1 })).toBe(true);
    expect(same({ a: 1, limit: undefined }, { a: 1 })).toBe(true);
    expect(same([1, 2], [2, 1])).toBe(false);
    expect(same({ a: 0.1 + 0.2 }, { a: 0.3 })).toBe(false);
    expect(same({ a: null }, { a: 0 })).toBe(false);
    expect(same({ a: [] }, { a: {} })).toBe(false);
  });
});

describe('compareSeason', () => {
  it('finds a team identical when runs, fills and snapshots agree', () => {
    const verdicts = compareSeason(
      season([run([BUY]), run([])], [fill(1, 6_001_234)], [snapshot(0, 1e9), snapshot(1, 1e9)]),
      replayed([run([BUY]), run([])], [fill(1, 6_001_234)], [snapshot(0, 1e9), snapshot(1, 1e9)]),
    );
    expect(verdicts).toEqual([{ teamId: 'a', identical: true, compared: { runs: 2, fills: 1, snapshots: 2, metrics: false }, divergence: null }]);
  });

  it('names an altered fill price with its minute, order and both prices as decimals', () => {
    const [verdict] = compareSeason(
      season([run([BUY]), run([])], [fill(1, 6_001_334)], [snapshot(0, 1e9), snapshot(1, 1e9)]),
      replayed([run([BUY]), run([])], [fill(1, 6_001_234)], [snapshot(0, 1e9), snapshot(1, 1e9)]),
    );
    expect(verdict?.divergence).toMatchObject({ minute: at(1), kind: 'fill', what: 'fill 1 (t-a-1-1) price', recorded: '600.1334', replayed: '600.1234' });
    expect(verdict?.divergence?.cause).toMatch(/altered/);
  });

  it('does not call a fill altered when the season traded at a broker', () => {
    const replay = { ...replayed([run([BUY]), run([])], [fill(1, 6_001_234)], []), brokerMinutes: [at(0), at(1)] };
    const [verdict] = compareSeason(season([run([BUY]), run([])], [fill(1, 6_001_300)], []), replay);
    expect(verdict?.divergence?.cause).toMatch(/broker/);
  });

  it('reports the earliest divergence: a run before a later fill and snapshot', () => {
    const [verdict] = compareSeason(
      season([run([]), run([BUY]), run([])], [fill(2, 1)], [snapshot(0, 1), snapshot(1, 1), snapshot(2, 1)]),
      replayed([run([]), run([]), run([])], [], [snapshot(0, 1), snapshot(1, 1), snapshot(2, 2)]),
    );
    expect(verdict?.divergence).toMatchObject({ minute: at(1), kind: 'run', what: 'run signals', recorded: [BUY], replayed: [] });
  });

  it('blames the machine for a recorded timeout, and a failed minute for a missing snapshot', () => {
    const timeout = { kind: 'timeout' as const, message: 'generateSignal did not return within its 200 ms CPU limit' };
    const [slow] = compareSeason(season([run([], timeout)], [], [snapshot(0, 1)]), replayed([run([BUY])], [], [snapshot(0, 1)]));
    expect(slow?.divergence?.cause).toMatch(/machine/);

    const [failed] = compareSeason(season([run([])], [], [], 'failed'), replayed([run([])], [], [snapshot(0, 1)]));
    expect(failed?.divergence).toMatchObject({ kind: 'snapshot', what: 'snapshot not recorded' });
    expect(failed?.divergence?.cause).toMatch(/failed/);
  });

  it('reports a run recorded but not replayed', () => {
    const [verdict] = compareSeason(season([run([]), run([])], [], []), replayed([run([]), null], [], []));
    expect(verdict?.divergence).toMatchObject({ minute: at(1), kind: 'run', what: 'run (none replayed)' });
  });
});
