// `qtc backtest` keeps a strategy's checked bundle between runs (server/backtest/strategyCache.ts): a
// second run on the same folder gives the same report, and a folder changed since is checked again.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runQtc } from '../../support/qtcCommand.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const temp = makeTempDir('qtc-cached-bundle-');
afterAll(() => temp.remove());

const bars = path.join(temp.dir, 'bars.csv');
writeFileSync(
  bars,
  [
    'timestamp,symbol,open,high,low,close,volume',
    '2025-07-08T13:30:00Z,AAA,10,10.5,9.5,10.2,1000',
    '2025-07-08T13:31:00Z,AAA,10.4,10.9,10.3,10.8,1000',
    '2025-07-08T13:32:00Z,AAA,10.8,11.2,10.7,11,1000',
  ].join('\n'),
);

// A folder of its own (its real path is part of the key), so no other test's run has cached it.
const dir = path.join(temp.dir, 'buyer');
mkdirSync(dir);
const write = (source: string) => writeFileSync(path.join(dir, 'strategy.js'), source);
const buyer = (quantity: number) =>
  `export default class Buyer { generateSignal(team, bars) { return bars.AAA.close.length === 1 ? { symbol: 'AAA', action: 'buy', quantity: ${String(quantity)} } : null; } }`;

const withoutDuration = (stdout: string): string => stdout.replace(/"durationMs":\d+/, '"durationMs":0');
const backtest = () => runQtc(['backtest', dir, '--data', bars, '--json']);

describe('qtc backtest with a cached bundle', () => {
  it('gives the same report from the cached bundle, and checks and builds a changed folder again', { timeout: 120_000 }, async () => {
    write(buyer(10));
    const first = await backtest();
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const cached = await backtest();
    expect(cached.code).toBe(0);
    expect(withoutDuration(cached.stdout)).toBe(withoutDuration(first.stdout));
    expect(first.stdout).toContain('"quantity":10');

    // A changed strategy runs as changed: its own bundle, not the one kept for the old text.
    write(buyer(20));
    const changed = await backtest();
    expect(changed.code).toBe(0);
    expect(changed.stdout).toContain('"quantity":20');
    expect(changed.stdout).not.toContain('"quantity":10');

    // A change the static check refuses is refused, although the folder's previous text was cached.
    write(`export default class Bad { generateSignal() { return eval('null'); } }`);
    const refused = await backtest();
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no-eval');

    // Back to a text cached before: its bundle again, the same report.
    write(buyer(10));
    const again = await backtest();
    expect(again.code).toBe(0);
    expect(withoutDuration(again.stdout)).toBe(withoutDuration(first.stdout));
  });
});
