// Shared by the tests that hold `qtc backtest` to the live tick on the same bars: the same strategy
// folders for both, a season of minutes run to completion by a worker, and the live fills and snapshots
// in the form the backtest reports them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { PgPool } from '../../../data/postgres/pool.ts';
import type { BacktestTrade } from '../../../server/backtest/teamReport.ts';
import { enqueueMinute, minuteAt, waitForTick, type TickFixture } from './support.ts';

/** Writes `source` as the strategy of a folder per team under `dir`; returns the folders, in team order. */
export function strategyFolders(dir: string, teams: readonly string[], source: string): string[] {
  return teams.map((team) => {
    const folder = path.join(dir, team);
    mkdirSync(folder);
    writeFileSync(path.join(folder, 'strategy.js'), source);
    return folder;
  });
}

/** Enqueues minutes 0 … count−1 one at a time, as the scheduler does, each completed before the next. */
export async function completeMinutes(fixture: TickFixture, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await enqueueMinute(fixture, minuteAt(i));
    const tick = await waitForTick(fixture.pool, minuteAt(i));
    expect(tick.status, JSON.stringify(tick.errors)).toBe('completed');
  }
}

const isoMinute = (at: Date): string => at.toISOString().replace('.000Z', 'Z');

export type TradeRow = [time: string, symbol: string, side: string, quantity: number, price: number, clientOrderId: string];

export const tradeRow = (t: BacktestTrade): TradeRow => [t.time, t.symbol, t.side, t.quantity, t.price, t.clientOrderId];

/** The team's applied live fills, in execution order, as backtest trade rows. */
export async function liveTradeRows(pool: PgPool, teamId: string): Promise<TradeRow[]> {
  const fills = await pool.query<{ client_order_id: string; symbol: string; side: string; quantity: string; price: string; executed_at: Date }>(
    'SELECT client_order_id, symbol, side, quantity, price::text, executed_at FROM fills WHERE team_id = $1 AND applied ORDER BY executed_at, client_order_id',
    [teamId],
  );
  return fills.rows.map((row) => [isoMinute(row.executed_at), row.symbol, row.side, Number(row.quantity), Number(row.price), row.client_order_id]);
}

/** The team's live minute snapshots as the lines of a backtest equity CSV (`time,equity,cash`). */
export async function liveEquityLines(pool: PgPool, teamId: string): Promise<string[]> {
  const snapshots = await pool.query<{ minute: Date; equity: string; cash: string }>(
    'SELECT minute, equity::text, cash::text FROM equity_snapshots WHERE team_id = $1 ORDER BY minute',
    [teamId],
  );
  return snapshots.rows.map((row) => `${isoMinute(row.minute)},${row.equity},${row.cash}`);
}

/** The lines of the equity CSV a backtest wrote into `outDir` for the team, without its header. */
export const backtestEquityLines = (outDir: string, teamId: string): string[] =>
  readFileSync(path.join(outDir, `${teamId}.equity.csv`), 'utf8')
    .trim()
    .split('\n')
    .slice(1);
