import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeCallResult } from '../../../sandbox/decode.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const projectRoot = path.resolve(import.meta.dirname, '../../..');
const spyBars = path.resolve(projectRoot, '../shared/data/bars/SPY_1min_2025-07-08_to_2025-07-14.csv');
const sparseBars = path.resolve(projectRoot, '../shared/data/bars/FXY_DBB_1min_2025-06-30_to_2025-07-07.csv');
const examples = ['sma-crossover', 'momentum', 'mean-reversion'].map((name) => path.join(projectRoot, 'examples/strategies', name));

interface QtcResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function qtc(args: string[]): Promise<QtcResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'backtest', ...args], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

interface Trade {
  time: string;
  symbol: string;
  side: string;
  quantity: number;
  price: number;
  clientOrderId: string;
}

interface Report {
  teams: Array<{ id: string; finalEquity: number; metrics: { totalReturn: number | null; tradeCount: number }; trades: Trade[]; errors: Array<{ kind: string; message: string }>; errorCount: number }>;
  bars: number;
  minutes: number;
  durationMs: number;
}

const parseReport = (stdout: string): Report => JSON.parse(stdout) as Report;
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

// Whether the sandbox reports unreadable entries one by one (TeamRunResult.invalidSignals) instead of
// failing the whole call; until it does, such an entry voids the strategy's minute (invalid-result).
const probe = decodeCallResult('{"ok":true,"signals":[{"symbol":"AAA","action":"hold","quantity":1}],"logs":[]}', {
  maxSignals: 50,
  maxReasonChars: 1000,
  maxLogLines: 50,
  maxLogBytes: 10_000,
  memoryCapChars: 65_536,
});
const sandboxReportsInvalidSignals = probe.ok && 'invalidSignals' in probe;

describe('qtc backtest', () => {
  it('fills market orders at the next bar\'s open, with slippage, and reports rejected signals', async () => {
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

  it.skipIf(!sandboxReportsInvalidSignals)('rejects each malformed signal on its own, numbered from 1, and trades the others', async () => {
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
    expect(readdirSync(out).sort()).toEqual(['mean-reversion.equity.csv', 'mean-reversion.trades.csv', 'momentum.equity.csv', 'momentum.trades.csv', 'sma-crossover.equity.csv', 'sma-crossover.trades.csv']);
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
