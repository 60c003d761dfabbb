import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQtc } from '../support/qtcCommand.ts';
import { makeTempDir } from '../support/tempDir.ts';

const projectRoot = path.resolve(import.meta.dirname, '../..');
const barsDir = path.resolve(projectRoot, '../shared/data/bars');
const spyBars = path.join(barsDir, 'SPY_1min_2025-07-08_to_2025-07-14.csv');
const sparseBars = path.join(barsDir, 'FXY_DBB_1min_2025-06-30_to_2025-07-07.csv');
const example = (name: string) => path.join(projectRoot, 'examples/strategies', name);

interface RunLine {
  minute: string | null;
  strategy: string;
  signals: Array<{ symbol: string; action: string; quantity: number }>;
  error: { kind: string; message: string } | null;
  cpuMs: number;
}

const jsonLines = (stdout: string): RunLine[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as RunLine);

const temp = makeTempDir('qtc-run-');
afterAll(() => temp.remove());

function strategyFolder(name: string, source: string): string {
  const dir = path.join(temp.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'strategy.js'), source);
  return dir;
}

// Three regular-session minutes of two symbols, and one pre-market bar that must not be delivered.
const smallCsv = path.join(temp.dir, 'bars.csv');
writeFileSync(
  smallCsv,
  [
    'timestamp,symbol,open,high,low,close,volume',
    '2025-07-08T13:00:00Z,AAA,9,9,9,9,100',
    '2025-07-08T13:30:00Z,AAA,10,11,9.5,10.5,1000',
    '2025-07-08T13:30:00Z,BBB,20,20,19,19.5,500',
    '2025-07-08T13:31:00Z,AAA,10.5,10.6,10.1,10.2,800',
    '2025-07-08T13:32:00Z,BBB,19.5,21,19.5,20.5,700',
  ].join('\n'),
);

const upBarBuyer = strategyFolder(
  'up-bar-buyer',
  `export default class UpBarBuyer {
    generateSignal(team, bars) {
      const out = [];
      for (const symbol of Object.keys(bars).sort()) {
        const b = bars[symbol];
        const last = b.close.length - 1;
        if (b.timestamp[last] === Date.now() && b.close[last] > b.open[last]) out.push({ symbol, action: 'buy', quantity: b.close.length, reason: 'up bar' });
      }
      return out;
    }
  }`,
);

describe('qtc run on a small CSV', () => {
  it('delivers regular-session minutes only, with signals per minute as JSON lines', async () => {
    const result = await runQtc(['run', upBarBuyer, '--data', smallCsv, '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(jsonLines(result.stdout)).toEqual([
      {
        minute: '2025-07-08T13:30:00Z',
        strategy: 'up-bar-buyer',
        signals: [{ symbol: 'AAA', action: 'buy', quantity: 1, reason: 'up bar' }],
        error: null,
        cpuMs: expect.any(Number) as number,
      },
      { minute: '2025-07-08T13:31:00Z', strategy: 'up-bar-buyer', signals: [], error: null, cpuMs: expect.any(Number) as number },
      {
        minute: '2025-07-08T13:32:00Z',
        strategy: 'up-bar-buyer',
        signals: [{ symbol: 'BBB', action: 'buy', quantity: 2, reason: 'up bar' }],
        error: null,
        cpuMs: expect.any(Number) as number,
      },
    ]);
  });

  it('refuses a strategy that fails the static check, unless told to skip it', async () => {
    const hostile = strategyFolder('escape', `export default class E { generateSignal() { return this.constructor.constructor('return process')().pid; } }`);
    const refused = await runQtc(['run', hostile, '--data', smallCsv, '--json']);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain('no-constructor-access');

    const skipped = await runQtc(['run', hostile, '--data', smallCsv, '--json', '--skip-static-check']);
    const lines = jsonLines(skipped.stdout);
    expect(skipped.code).toBe(1);
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line.error?.kind).toBe('runtime');
  });

  it('keeps a well-behaved strategy unaffected by a runaway one next to it', async () => {
    const spinner = strategyFolder('spinner', `export default class S { generateSignal() { for (;;) {} } }`);
    const alone = jsonLines((await runQtc(['run', upBarBuyer, '--data', smallCsv, '--json'])).stdout);
    // The limit applies to both: generous enough that a loaded machine never cuts the good one.
    const together = await runQtc(['run', spinner, upBarBuyer, '--data', smallCsv, '--json', '--skip-static-check', '--cpu-ms', '1000']);
    expect(together.code).toBe(1);
    const lines = jsonLines(together.stdout);
    const strip = (l: RunLine) => ({ ...l, cpuMs: 0 });
    expect(lines.filter((l) => l.strategy === 'up-bar-buyer').map(strip)).toEqual(alone.map(strip));
    const spinnerLines = lines.filter((l) => l.strategy === 'spinner');
    expect(spinnerLines).toHaveLength(3);
    for (const line of spinnerLines) expect(line.error?.kind).toBe('timeout');
  });

  it('runs the other strategies when one cannot be compiled', async () => {
    const broken = strategyFolder('broken', `import fs from 'fs'; export default class B { generateSignal() { return fs.readFileSync('/etc/passwd'); } }`);
    const alone = jsonLines((await runQtc(['run', upBarBuyer, '--data', smallCsv, '--json'])).stdout);
    const together = await runQtc(['run', broken, upBarBuyer, '--data', smallCsv, '--json', '--skip-static-check']);
    expect(together.code).toBe(1);
    const lines = jsonLines(together.stdout);
    const strip = (l: RunLine) => ({ ...l, cpuMs: 0 });
    expect(lines.filter((l) => l.strategy === 'up-bar-buyer').map(strip)).toEqual(alone.map(strip));
    expect(lines.filter((l) => l.strategy === 'broken')).toEqual([
      { minute: null, strategy: 'broken', signals: [], error: { kind: 'load', message: expect.stringMatching(/could not be compiled/) as unknown }, cpuMs: 0 },
    ]);
    expect(together.stderr).toMatch(/broken: did not load/);
  });

  it('ends after a strategy got its sandbox process killed every minute', async () => {
    // Each call runs for seconds outside the isolate's timeout, so the watchdog kills the child every
    // minute; the run must still print its summary and exit (a restarted child once kept it alive).
    const hog = strategyFolder('hog', `export default class H { generateSignal() { new Array(2 ** 26).fill(1.5); return null; } }`);
    const result = await runQtc(['run', hog, '--data', smallCsv, '--json', '--skip-static-check', '--cpu-ms', '50']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/summary:/);
    const kinds = jsonLines(result.stdout).map((line) => line.error?.kind);
    expect(kinds).toHaveLength(3);
    for (const kind of kinds) expect(['timeout', 'crashed', 'memory', 'quarantined']).toContain(kind);
  }, 120_000);

  it('explains bad input in one line with exit code 2', async () => {
    const missing = await runQtc(['run', path.join(temp.dir, 'nope'), '--data', smallCsv]);
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const badParams = await runQtc(['run', upBarBuyer, '--data', smallCsv, '--params', '[1]']);
    expect(badParams.code).toBe(2);
    expect(badParams.stderr).toMatch(/--params must be a JSON object/);
  });
});

describe.skipIf(!existsSync(barsDir))('qtc run on the real bars in ../shared/data/bars', () => {
  it('runs the examples over five days of SPY, one line per regular-session minute and strategy', async () => {
    const result = await runQtc(['run', example('sma-crossover'), example('momentum'), '--data', spyBars, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const lines = jsonLines(result.stdout);
    for (const name of ['sma-crossover', 'momentum']) {
      const own = lines.filter((line) => line.strategy === name);
      expect(own).toHaveLength(1940); // regular-session minutes present in the file (a few are missing)
      expect(own.every((line) => line.error === null)).toBe(true);
    }
    expect(lines[0]?.minute).toBe('2025-07-08T13:30:00Z');
    expect(lines.at(-1)?.minute).toBe('2025-07-14T19:59:00Z');
    expect(lines.some((line) => line.signals.length > 0)).toBe(true);
  });

  it('skips the holiday and the end of the half day on sparse bars', async () => {
    const result = await runQtc(['run', example('mean-reversion'), '--data', sparseBars, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const minutes = jsonLines(result.stdout).map((line) => line.minute ?? '');
    expect(minutes).toHaveLength(1221);
    expect(minutes.some((m) => m.startsWith('2025-07-04'))).toBe(false);
    expect(minutes.filter((m) => m.startsWith('2025-07-03')).every((m) => m < '2025-07-03T17:00:00Z')).toBe(true);
  });
});
