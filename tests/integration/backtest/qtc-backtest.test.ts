import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BacktestReport } from '../../../server/backtest/report.ts';
import { runQtc, type QtcResult } from '../../support/qtcCommand.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const projectRoot = path.resolve(import.meta.dirname, '../../..');
const spyBars = path.resolve(projectRoot, '../shared/data/bars/SPY_1min_2025-07-08_to_2025-07-14.csv');
const sparseBars = path.resolve(projectRoot, '../shared/data/bars/FXY_DBB_1min_2025-06-30_to_2025-07-07.csv');
const examples = ['sma-crossover', 'momentum', 'mean-reversion'].map((name) => path.join(projectRoot, 'examples/strategies', name));

const qtc = (args: string[]): Promise<QtcResult> => runQtc(['backtest', ...args]);

const parseReport = (stdout: string): BacktestReport => JSON.parse(stdout) as BacktestReport;
const withoutDuration = (stdout: string): string => stdout.replace(/"durationMs":\d+/, '"durationMs":0');

const temp = makeTempDir('qtc-backtest-');
afterAll(() => temp.remove());

function strategyFolder(name: string, source: string): string {
  const dir = path.join(temp.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'strategy.js'), source);
  return dir;
}

// Four regular-session minutes of AAA: the strategy buys at market on the first, sells on the third.
const smallCsv = path.join(temp.dir, 'bars.csv');
writeFileSync(
  smallCsv,
  [
    'timestamp,symbol,open,high,low,close,volume',
    '2025-07-08T13:30:00Z,AAA,10,10.5,9.5,10.2,1000',
    '2025-07-08T13:31:00Z,AAA,10.4,10.9,10.3,10.8,1000',
    '2025-07-08T13:32:00Z,AAA,10.8,11.2,10.7,11,1000',
    '2025-07-08T13:33:00Z,AAA,11.1,11.3,10.9,11.2,1000',
  ].join('\n'),
);

const roundTrip = strategyFolder(
  'round-trip',
  `export default class RoundTrip {
    generateSignal(team, bars) {
      const n = bars.AAA.close.length;
      if (n === 1) return { symbol: 'AAA', action: 'buy', quantity: 100, reason: 'first bar' };
      if (n === 3) return { symbol: 'AAA', action: 'sell', quantity: team.positions.AAA.quantity };
      if (n === 4) return [{ symbol: 'AAA', action: 'sell', quantity: 1 }, { symbol: 'ZZZ', action: 'buy', quantity: 1 }];
      return null;
    }
  }`,
);
const idle = strategyFolder('idle', 'export default class Idle { generateSignal() { return null; } }');

describe('qtc backtest', () => {
  it("fills market orders at the next bar's open, with slippage, and reports rejected signals", async () => {
    const result = await qtc([roundTrip, idle, '--data', smallCsv, '--json', '--slippage-bps', '10']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = parseReport(result.stdout);
    expect(report).toMatchObject({ bars: 4, minutes: 4 });
    const team = report.teams.find((t) => t.id === 'round-trip');
    // Bought on the 13:30 bar, filled at the 13:31 open 10.40 + 10 bps = 10.4104; sold on 13:32, filled at the 13:33 open 11.10 − 10 bps = 11.0889.
    expect(team?.trades).toEqual([
      { time: '2025-07-08T13:31:00Z', symbol: 'AAA', side: 'buy', quantity: 100, price: 10.4104, clientOrderId: 't-round-trip-202507081330-1' },
      { time: '2025-07-08T13:33:00Z', symbol: 'AAA', side: 'sell', quantity: 100, price: 11.0889, clientOrderId: 't-round-trip-202507081332-1' },
    ]);
    expect(team?.finalEquity).toBe(100_000 + 100 * (11.0889 - 10.4104));
    expect(team?.metrics.tradeCount).toBe(1);
    expect(team?.errors.map((e) => e.kind)).toEqual(['insufficient_position', 'unknown_symbol']);
    expect(report.teams.map((t) => t.id)).toEqual(['round-trip', 'idle']);
    expect(report.teams[1]).toMatchObject({ finalEquity: 100_000, trades: [], errors: [] });
  });

  it('rejects each malformed signal on its own, numbered from 1, and trades the others', async () => {
    const mixed = strategyFolder(
      'mixed',
      `export default class Mixed {
        generateSignal(team, bars) {
          if (bars.AAA.close.length !== 1) return null;
          return [{ symbol: 'AAA', action: 'hold', quantity: 1 }, { symbol: 'AAA', action: 'buy', quantity: 100 }, { symbol: 'AAA', action: 'buy', quantity: 0 }];
        }
      }`,
    );
    const result = await qtc([mixed, '--data', smallCsv, '--json']);
    expect(result.code).toBe(0);
    const team = parseReport(result.stdout).teams[0];
    expect(team?.trades.map((t) => [t.clientOrderId, t.quantity])).toEqual([['t-mixed-202507081330-2', 100]]);
    expect(team?.errors.map((e) => e.kind)).toEqual(['invalid_signal', 'invalid_signal']);
    expect(team?.errors.map((e) => e.message.slice(0, 16))).toEqual(['signal 1 (AAA): ', 'signal 3 (AAA): ']);
  });

  it('prints a leaderboard of the examples and writes trades and equity CSVs per strategy', async () => {
    const out = path.join(temp.dir, 'out');
    const result = await qtc([...examples, '--synthetic', '--days', '2', '--symbols', 'SPY,QQQ,IWM', '--out', out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('data: synthetic, 2 days, 3 symbols, seed 1');
    const rows = result.stdout.split('\n').filter((line) => /^\d+\s/.test(line));
    expect(rows).toHaveLength(3);
    for (const name of ['sma-crossover', 'momentum', 'mean-reversion']) expect(result.stdout).toContain(name);
    expect(readdirSync(out).sort()).toEqual([
      'mean-reversion.equity.csv',
      'mean-reversion.trades.csv',
      'momentum.equity.csv',
      'momentum.trades.csv',
      'sma-crossover.equity.csv',
      'sma-crossover.trades.csv',
    ]);
    const equity = readFileSync(path.join(out, 'sma-crossover.equity.csv'), 'utf8').trim().split('\n');
    expect(equity[0]).toBe('time,equity,cash');
    expect(equity).toHaveLength(1 + 2 * 390);
    expect(equity[1]).toMatch(/^2024-01-02T14:30:00Z,100000\.0000,100000\.0000$/);
    const trades = readFileSync(path.join(out, 'momentum.trades.csv'), 'utf8').trim().split('\n');
    expect(trades[0]).toBe('time,symbol,side,quantity,price,clientOrderId');
    expect(trades.slice(1).every((line) => /^2024-01-0\dT\d\d:\d\d:00Z,(SPY|QQQ|IWM),(buy|sell),\d+,[\d.]+,t-momentum-\d{12}-\d+$/.test(line))).toBe(true);
  });

  it('gives identical output for two runs of the same synthetic input (except durationMs)', async () => {
    const args = [examples[0] ?? '', examples[2] ?? '', '--synthetic', '--days', '1', '--seed', '7', '--json'];
    const [first, second] = await Promise.all([qtc(args), qtc(args)]);
    expect(first.code).toBe(0);
    expect(withoutDuration(first.stdout)).toBe(withoutDuration(second.stdout));
    expect(parseReport(first.stdout).bars).toBe(390 * 10);
  });

  it('refuses unclear usage with exit 2 and a clear message', async () => {
    const neither = await qtc([idle]);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('no market data');
    const both = await qtc([idle, '--synthetic', '--data', smallCsv]);
    expect(both.code).toBe(2);
    const badSlippage = await qtc([idle, '--synthetic', '--slippage-bps', 'lots']);
    expect(badSlippage.stderr).toContain('--slippage-bps must be from 0 to 1000 basis points (got lots)');
  });

  it('exits 1 without running when a strategy fails the static check', async () => {
    const bad = strategyFolder('uses-eval', 'export default class Bad { generateSignal() { return eval("null"); } }');
    const result = await qtc([bad, '--data', smallCsv]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('not running the backtest');
    expect(result.stdout).toBe('');
  });
});

// A competition's settings: $250,000 each, AAA only, orders up to $1M; team "capped" keeps a $1,000 limit.
const registryFile = path.join(temp.dir, 'team_registry.yaml');
writeFileSync(
  registryFile,
  [
    'competition:',
    '  name: Backtest test',
    '  universe: [AAA]',
    '  startingCash: 250000',
    '  risk: { maxPositionPct: 1, maxOrderNotional: 1000000, maxOrdersPerMinute: 10 }',
    'teams:',
    '  - { id: allin, name: All in, repo: https://example.org/allin.git, params: { fraction: 0.99 } }',
    '  - { id: capped, name: Capped, repo: https://example.org/capped.git, params: { fraction: 0.99 }, risk: { maxOrderNotional: 1000 } }',
    '',
  ].join('\n'),
);
const twoSymbols = path.join(temp.dir, 'two-symbols.csv');
writeFileSync(twoSymbols, [...readFileSync(smallCsv, 'utf8').trim().split('\n'), '2025-07-08T13:30:00Z,BBB,5,5,5,5,1000', '2025-07-08T13:31:00Z,BBB,5,5,5,5,1000', ''].join('\n'));
// On its first minute: buys AAA with a fraction of its cash (params.fraction, default a half), and 1 BBB.
const allInSource = `export default class AllIn {
  constructor(params) { this.fraction = params.fraction ?? 0.5; }
  generateSignal(team, bars, prices) {
    if (bars.AAA.close.length !== 1) return null;
    return [{ symbol: 'AAA', action: 'buy', quantity: Math.floor((team.cash * this.fraction) / prices.AAA / 1.05) }, { symbol: 'BBB', action: 'buy', quantity: 1 }];
  }
}`;
const allIn = strategyFolder('allin', allInSource);
const capped = strategyFolder('capped', allInSource);

describe('qtc backtest --registry', () => {
  it("trades under the competition's universe, cash, risk limits and team params, with --capital and --risk overrides", async () => {
    // Built-in defaults: $100,000, half the cash in AAA, BBB in the universe of the data.
    const plain = parseReport((await qtc([allIn, '--data', twoSymbols, '--json'])).stdout).teams[0];
    expect(plain?.trades.map((t) => [t.symbol, t.quantity])).toEqual([
      ['AAA', 4668],
      ['BBB', 1],
    ]);

    const result = await qtc([allIn, capped, idle, '--data', twoSymbols, '--registry', registryFile, '--json']);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('idle is not a team of');
    const teams = parseReport(result.stdout).teams;
    const team = (id: string) => teams.find((t) => t.id === id);
    // 99% of $250,000 in AAA (the default $50,000 order limit would refuse it); BBB is outside the universe.
    expect(team('allin')?.trades.map((t) => [t.symbol, t.quantity, t.price])).toEqual([['AAA', 23109, 10.4]]);
    expect(team('allin')?.finalEquity).toBe(268_487.2); // 250,000 + 23,109 × (11.20 last close − 10.40)
    expect(team('allin')?.errors.map((e) => [e.kind, e.message])).toEqual([['unknown_symbol', "signal 2 (buy 1 BBB): BBB is not in the competition's universe"]]);
    expect(team('capped')?.trades).toEqual([]);
    expect(team('capped')?.errors[0]?.message).toContain('above the $1,000.00 limit per order');
    expect(team('idle')?.finalEquity).toBe(250_000);

    const overridden = await qtc([allIn, '--data', twoSymbols, '--registry', registryFile, '--capital', '50000', '--risk', 'maxOrderNotional=10', '--json']);
    expect(overridden.code).toBe(0);
    const limited = parseReport(overridden.stdout).teams[0];
    expect(limited?.finalEquity).toBe(50_000);
    expect(limited?.errors.map((e) => [e.kind, e.message.split(':')[0]])).toEqual([
      ['max_order_notional', 'signal 1 (buy 4621 AAA)'],
      ['unknown_symbol', 'signal 2 (buy 1 BBB)'],
    ]);
  });

  it("refuses an unknown --risk key, a limit the registry's rules forbid, and an invalid registry, with exit 2", async () => {
    const unknown = await qtc([idle, '--synthetic', '--risk', 'maxLeverage=2']);
    expect([unknown.code, unknown.stderr]).toEqual([2, expect.stringContaining('--risk takes key=value with a key among maxPositionPct') as unknown]);
    const tooBig = await qtc([idle, '--synthetic', '--risk', 'maxPositionPct=2']);
    expect([tooBig.code, tooBig.stderr]).toEqual([2, expect.stringContaining('maxPositionPct: Too big') as unknown]);
    const broken = path.join(temp.dir, 'broken.yaml');
    writeFileSync(broken, 'competition:\n  name: x\n');
    const invalid = await qtc([idle, '--synthetic', '--registry', broken]);
    expect([invalid.code, invalid.stderr]).toEqual([2, expect.stringContaining('--registry: ') as unknown]);
  });
});

describe.skipIf(!existsSync(spyBars) || !existsSync(sparseBars))('qtc backtest on the real bars in ../shared/data/bars', () => {
  it('runs the examples over SPY, deterministically, with a leaderboard', async () => {
    const args = [...examples, '--data', spyBars, '--json'];
    const [first, second] = await Promise.all([qtc(args), qtc(args)]);
    expect(first.code).toBe(0);
    expect(withoutDuration(first.stdout)).toBe(withoutDuration(second.stdout));
    const report = parseReport(first.stdout);
    // Five regular sessions of SPY (the file has a few gaps).
    expect(report.minutes).toBeGreaterThan(1900);
    expect(report.teams.map((t) => t.id).sort()).toEqual(['mean-reversion', 'momentum', 'sma-crossover']);
    for (const team of report.teams) {
      for (const trade of team.trades) expect(trade.clientOrderId).toMatch(new RegExp(`^t-${team.id}-\\d{12}-\\d+$`));
      // A fill is always on a later minute than the decision encoded in its client order id.
      for (const trade of team.trades) {
        const stamp = /-(\d{12})-\d+$/.exec(trade.clientOrderId)?.[1] ?? '';
        expect(trade.time.replace(/\D/g, '').slice(0, 12) > stamp).toBe(true);
      }
    }
    const equities = report.teams.map((t) => t.finalEquity);
    expect(equities).toEqual([...equities].sort((a, b) => b - a));
  });

  it('runs on the sparse FXY/DBB file with its half day and holiday', async () => {
    const result = await qtc([...examples, '--data', sparseBars]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('data: FXY_DBB_1min_2025-06-30_to_2025-07-07.csv');
    expect(result.stdout.split('\n').filter((line) => /^\d+\s/.test(line))).toHaveLength(3);
  });
});
