import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileStrategy } from '../../../loaders/index.ts';
import type { BacktestReport } from '../../../server/backtest/report.ts';
import { readStandings } from '../../../server/leaderboard/standings.ts';
import { runQtc } from '../../support/qtcCommand.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { backtestEquityLines, completeMinutes, liveEquityLines, liveTradeRows, strategyFolders, tradeRow } from './liveVsBacktest.ts';
import { createTickFixture, minuteAt, workerProcesses, type TickFixture } from './support.ts';

/**
 * One engine, two uses: the same bars through `qtc backtest` (in memory, one process) and through the
 * live tick (a `qtc worker` process, Postgres, BullMQ, one job flow per minute) give the same fills,
 * minute snapshots, rejections and metrics, to the last 1/10,000 of a dollar.
 */

const MINUTES = 40;
const temp = makeTempDir('qtc-parity-');
const csv = path.join(temp.dir, 'bars.csv');
const outDir = path.join(temp.dir, 'out');

// SPY and QQQ minute bars from 09:30 New York; QQQ has no bar on minutes 10-11 (prices carry forward,
// its orders wait), SPY trades nothing on minute 20 (a zero-volume bar fills nothing).
function writeBars(): void {
  const rows = ['timestamp,symbol,open,high,low,close,volume'];
  for (let i = 0; i < MINUTES; i++) {
    const at = new Date(minuteAt(i)).toISOString();
    const spy = 600 + 3 * Math.sin(i / 4) + i * 0.05;
    const qqq = 500 + 2 * Math.cos(i / 5) - i * 0.03;
    const bar = (symbol: string, mid: number, volume: number) => {
      const open = (mid - 0.11).toFixed(2);
      rows.push(`${at},${symbol},${open},${(mid + 0.6).toFixed(2)},${(mid - 0.6).toFixed(2)},${mid.toFixed(2)},${String(volume)}`);
    };
    bar('SPY', spy, i === 20 ? 0 : 1_000);
    if (i !== 10 && i !== 11) bar('QQQ', qqq, 800);
  }
  writeFileSync(csv, `${rows.join('\n')}\n`);
}

// Buys and sells SPY, places QQQ limit orders, sends a signal outside the universe and a malformed one.
const STRATEGY = `export default class Trader {
  generateSignal(team, bars, prices) {
    team.memory.calls = (team.memory.calls ?? 0) + 1;
    const n = team.memory.calls;
    const size = team.id === 'beta' ? 3 : 1;
    const spy = team.positions.SPY?.quantity ?? 0;
    const qqq = team.positions.QQQ?.quantity ?? 0;
    const out = [];
    if (n % 3 === 1) out.push({ symbol: 'SPY', action: 'buy', quantity: 2 * size, reason: 'every third minute' });
    if (n % 3 === 2 && spy > 0) out.push({ symbol: 'SPY', action: 'sell', quantity: 1 });
    if (n % 4 === 0) out.push({ symbol: 'QQQ', action: 'buy', quantity: size, price: Math.round(prices.QQQ * 100.2) / 100 });
    if (n % 5 === 0) out.push({ symbol: 'IWM', action: 'buy', quantity: 1 });
    if (n % 7 === 0 && qqq > 0) out.push({ symbol: 'QQQ', action: 'sell', quantity: qqq });
    if (bars.SPY.close.length % 6 === 0) out.push({ symbol: 'SPY', action: 'hold', quantity: 1 });
    return out;
  }
}
`;

const TEAMS = ['alpha', 'beta'];
let fixture: TickFixture;
const workers = workerProcesses(() => fixture);
let dirs: string[] = [];

beforeAll(async () => {
  writeBars();
  dirs = strategyFolders(temp.dir, TEAMS, STRATEGY);
  fixture = await createTickFixture({ teams: TEAMS, strategy: await compileStrategy(dirs[0]!) });
}, 60_000);

afterAll(async () => {
  await workers.closeAll();
  temp.remove();
});

describe('qtc backtest and the live tick', () => {
  it('give identical fills, snapshots, rejections and metrics on the same bars', async () => {
    // The live path: one flow per minute, as the scheduler adds them, run by a real worker process.
    const worker = workers.start({ REPLAY_FILE: csv });
    await worker.waitFor('tick worker ready');
    await completeMinutes(fixture, MINUTES);

    // The same competition: the backtest reads the registry file the worker runs on.
    const backtest = await runQtc(['backtest', ...dirs, '--data', csv, '--registry', fixture.registryFile, '--json', '--out', outDir]);
    expect(backtest.stderr).toMatch(/^wrote /);
    expect(backtest.code).toBe(0);
    const report = JSON.parse(backtest.stdout) as BacktestReport;
    const standings = await readStandings(fixture.pool, new Set());

    for (const teamId of TEAMS) {
      const team = report.teams.find((t) => t.id === teamId)!;
      const live = await liveTradeRows(fixture.pool, teamId);
      expect(live.length).toBeGreaterThan(20);
      expect(team.trades.map(tradeRow)).toEqual(live);

      const equityCsv = backtestEquityLines(outDir, teamId);
      expect(equityCsv).toHaveLength(MINUTES);
      expect(equityCsv).toEqual(await liveEquityLines(fixture.pool, teamId));

      const runs = await fixture.pool.query<{ minute: Date; rejections: Array<{ code: string }> }>(
        'SELECT minute, rejections FROM tick_team_runs WHERE team_id = $1 ORDER BY minute',
        [teamId],
      );
      const liveRejections = runs.rows.flatMap((row) => row.rejections.map((r) => [row.minute.toISOString().replace('.000Z', 'Z'), r.code]));
      expect(liveRejections.length).toBeGreaterThan(0);
      const backtestRejections = team.errors.filter((e) => e.source === 'order').map((e) => [e.time, e.kind]);
      expect(backtestRejections).toEqual(liveRejections);

      expect(team.metrics).toEqual(standings.find((s) => s.teamId === teamId)?.metrics);
    }
  }, 180_000);
});
