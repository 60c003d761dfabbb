import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileStrategy } from '../../../loaders/index.ts';
import type { BacktestReport } from '../../../server/backtest/report.ts';
import type { BacktestTrade } from '../../../server/backtest/teamReport.ts';
import { readStandings } from '../../../server/leaderboard/standings.ts';
import { runQtc } from '../../support/qtcCommand.ts';
import { makeTempDir } from '../../support/tempDir.ts';
import { backtestEquityLines, completeMinutes, liveEquityLines, liveTradeRows, strategyFolders, tradeRow } from '../tick/liveVsBacktest.ts';
import { createTickFixture, minuteAt, workerProcesses, type TickFixture } from '../tick/support.ts';
import { CROSSING_TRADER_BODY } from './crossingTrader.ts';

/**
 * `qtc backtest --registry` trades under the registry's `competition.execution`: a backtest of a netted
 * competition gives the fills, snapshots and metrics of the live netted season (a `qtc worker` on the
 * simulated broker) on the same bars, and differs from a per-team backtest exactly where teams cross.
 */

const MINUTES = 30;
const SLIPPAGE_BPS = '10';
const temp = makeTempDir('qtc-netted-backtest-');
const csv = path.join(temp.dir, 'bars.csv');

// SPY and QQQ minute bars from 09:30 New York; QQQ has no bar on minutes 10-11 (its orders wait).
function writeBars(): void {
  const rows = ['timestamp,symbol,open,high,low,close,volume'];
  for (let i = 0; i < MINUTES; i++) {
    const at = new Date(minuteAt(i)).toISOString();
    const bar = (symbol: string, mid: number) => rows.push(`${at},${symbol},${(mid - 0.11).toFixed(2)},${(mid + 0.6).toFixed(2)},${(mid - 0.6).toFixed(2)},${mid.toFixed(2)},1000`);
    bar('SPY', 600 + 3 * Math.sin(i / 4) + i * 0.05);
    if (i !== 10 && i !== 11) bar('QQQ', 500 + 2 * Math.cos(i / 5) - i * 0.03);
  }
  writeFileSync(csv, `${rows.join('\n')}\n`);
}

const STRATEGY = `export default class Trader {${CROSSING_TRADER_BODY}}
`;

type Report = BacktestReport;

const TEAMS = ['alpha', 'beta'];
let fixture: TickFixture;
const workers = workerProcesses(() => fixture);
let dirs: string[] = [];
let baseYaml = '';

/** The fixture's registry with `lines` added to its competition (after the market data line). */
function registryWith(name: string, lines: string): string {
  const yaml = baseYaml;
  const marketLine = '  marketData: { source: simulator, seed: 7 }\n';
  if (!yaml.includes(marketLine)) throw new Error('the tick fixture registry changed: update this test');
  const file = path.join(temp.dir, name);
  writeFileSync(file, yaml.replace(marketLine, `${marketLine}${lines}`));
  return file;
}

async function backtest(registryFile: string, out: string): Promise<Report> {
  const run = await runQtc(['backtest', ...dirs, '--data', csv, '--registry', registryFile, '--slippage-bps', SLIPPAGE_BPS, '--json', '--out', out]);
  expect(run.code, run.stderr).toBe(0);
  return JSON.parse(run.stdout) as Report;
}

const tradesOf = (report: Report, teamId: string): BacktestTrade[] => report.teams.find((team) => team.id === teamId)!.trades;

beforeAll(async () => {
  writeBars();
  dirs = strategyFolders(temp.dir, TEAMS, STRATEGY);
  fixture = await createTickFixture({ teams: TEAMS, strategy: await compileStrategy(dirs[0]!) });
  baseYaml = readFileSync(fixture.registryFile, 'utf8');
}, 60_000);

afterAll(async () => {
  await workers.closeAll();
  temp.remove();
});

describe('qtc backtest --registry and netted execution', () => {
  it('a netted backtest equals the live netted season; a per-team one differs where the teams cross', async () => {
    // The live netted season: a qtc worker on the simulated broker, the registry saying `execution: netted`.
    writeFileSync(fixture.registryFile, readFileSync(registryWith('netted.yaml', '  execution: netted\n'), 'utf8'));
    const worker = workers.start({ REPLAY_FILE: csv, SIM_SLIPPAGE_BPS: SLIPPAGE_BPS });
    await worker.waitFor('tick worker ready');
    await completeMinutes(fixture, MINUTES);

    const netted = await backtest(fixture.registryFile, path.join(temp.dir, 'netted'));
    // Alpaca as the broker and no execution named: netted is the default, in the backtest as live.
    const byDefault = await backtest(registryWith('alpaca.yaml', '  broker: { kind: alpaca }\n'), path.join(temp.dir, 'default'));
    const perTeam = await backtest(registryWith('per-team.yaml', '  execution: per-team\n'), path.join(temp.dir, 'per-team'));

    const standings = await readStandings(fixture.pool, new Set());
    for (const teamId of TEAMS) {
      const live = await liveTradeRows(fixture.pool, teamId);
      expect(live.length).toBeGreaterThan(20);
      expect(tradesOf(netted, teamId).map(tradeRow)).toEqual(live);
      expect(tradesOf(byDefault, teamId).map(tradeRow)).toEqual(live);

      const equityCsv = backtestEquityLines(path.join(temp.dir, 'netted'), teamId);
      expect(equityCsv).toHaveLength(MINUTES);
      expect(equityCsv).toEqual(await liveEquityLines(fixture.pool, teamId));
      expect(netted.teams.find((team) => team.id === teamId)?.metrics).toEqual(standings.find((s) => s.teamId === teamId)?.metrics);
    }

    // Netted: one price per (decision minute, symbol) for both teams. Per-team: each side its own slippage,
    // so where the teams cross (every SPY minute from the second on) the seller gets less than the buyer pays.
    const priceOf = (report: Report) => {
      const prices = new Map<string, Set<number>>();
      for (const teamId of TEAMS) {
        for (const trade of tradesOf(report, teamId)) {
          if (trade.symbol !== 'SPY') continue;
          prices.set(trade.time, (prices.get(trade.time) ?? new Set()).add(trade.price));
        }
      }
      return prices;
    };
    const crossed = [...priceOf(netted)].filter(
      ([time]) => tradesOf(netted, 'alpha').some((t) => t.time === time && t.symbol === 'SPY') && tradesOf(netted, 'beta').some((t) => t.time === time && t.symbol === 'SPY'),
    );
    expect(crossed.length).toBeGreaterThan(10);
    for (const [, prices] of crossed) expect(prices.size).toBe(1);
    const perTeamPrices = priceOf(perTeam);
    for (const [time, [nettedPrice]] of crossed.map(([time, prices]) => [time, [...prices]] as const)) {
      const [low, high] = [...(perTeamPrices.get(time) ?? [])].sort((a, b) => a - b);
      // The net is a buy, so the netted price is the buyer's slipped price; the per-team seller got less.
      expect([high, low! < high!]).toEqual([nettedPrice, true]);
    }
    // The same orders filled, in the same quantities: only the prices differ.
    for (const teamId of TEAMS) {
      const shape = (report: Report) => tradesOf(report, teamId).map((t) => [t.time, t.symbol, t.side, t.quantity, t.clientOrderId]);
      expect(shape(perTeam)).toEqual(shape(netted));
      expect(tradesOf(perTeam, teamId).map((t) => t.price)).not.toEqual(tradesOf(netted, teamId).map((t) => t.price));
    }
  }, 240_000);
});
