/**
 * What a backtest prints and writes: the `--json` document, the leaderboard, and per-team CSV files.
 * Pure functions of the outcome, so two runs on the same input give byte-identical output
 * (only `durationMs` differs).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { moneyToDecimalString, toDollars } from '../trading/money.ts';
import type { PerformanceMetrics } from '../trading/metrics/metrics.ts';
import type { BacktestOutcome } from './engine.ts';
import type { BacktestError, BacktestTrade, TeamReport } from './teamReport.ts';

export interface BacktestTeamReport {
  id: string;
  finalEquity: number;
  metrics: PerformanceMetrics;
  trades: BacktestTrade[];
  /** At most MAX_RECORDED_ERRORS entries; `errorCount` has the total. */
  errors: BacktestError[];
  errorCount: number;
}

export interface BacktestReport {
  teams: BacktestTeamReport[];
  /** Strategies that did not load. */
  failed: Array<{ id: string; kind: string; message: string }>;
  /** Bars delivered (symbol-minutes). */
  bars: number;
  minutes: number;
  durationMs: number;
}

/** Best first: final equity (every team starts with the same capital), then id for a stable order. */
export function rankTeams(teams: readonly TeamReport[]): TeamReport[] {
  return [...teams].sort((a, b) => b.equity - a.equity || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function buildReport(outcome: BacktestOutcome, durationMs: number): BacktestReport {
  return {
    teams: rankTeams(outcome.teams).map((team) => ({
      id: team.id,
      finalEquity: toDollars(team.equity),
      metrics: team.metrics.snapshot(),
      trades: team.trades,
      errors: team.errors,
      errorCount: team.errorCount,
    })),
    failed: outcome.loadFailures,
    bars: outcome.bars,
    minutes: outcome.minutes,
    durationMs: Math.round(durationMs),
  };
}

const percent = (value: number | null): string => (value === null ? '—' : `${(value * 100).toFixed(2)}%`);
const ratio = (value: number | null): string => (value === null ? '—' : value.toFixed(2));
const dollars = (value: number): string => `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

function table(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): string[] {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, column) => (rightAligned.has(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)];
}

/** The human leaderboard (no timing in it, so it is reproducible too). */
export function leaderboardText(report: BacktestReport): string {
  const header = ['#', 'strategy', 'final equity', 'return', 'sharpe', 'sortino', 'max dd', 'win rate', 'trades', 'fills', 'errors'];
  const rows = report.teams.map((team, index) => [
    String(index + 1),
    team.id,
    dollars(team.finalEquity),
    percent(team.metrics.totalReturn),
    ratio(team.metrics.sharpe),
    ratio(team.metrics.sortino),
    percent(team.metrics.maxDrawdown),
    percent(team.metrics.winRate),
    String(team.metrics.tradeCount),
    String(team.trades.length),
    String(team.errorCount),
  ]);
  const lines = [`backtest: ${String(report.minutes)} minutes, ${String(report.bars)} bars`, '', ...table(header, rows, new Set([0, 2, 3, 4, 5, 6, 7, 8, 9, 10]))];
  if (report.teams.some((team) => !team.metrics.ranked)) lines.push('', 'ratios need at least 30 minute returns; "—" means undefined (no volatility, no drawdown, no trades)');
  lines.push('', '"trades" counts closing trades (sells) as the metrics do; "fills" counts every execution.');
  for (const failure of report.failed) lines.push(`${failure.id}: did not load (${failure.kind}: ${failure.message})`);
  for (const team of report.teams) {
    if (team.errorCount === 0) continue;
    const first = team.errors[0];
    if (first !== undefined) lines.push(`${team.id}: ${String(team.errorCount)} errors, first at ${first.time}: [${first.kind}] ${first.message}`);
  }
  return `${lines.join('\n')}\n`;
}

/** RFC 4180 quoting only where needed. */
function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const csv = (rows: Array<Array<string | number>>): string => rows.map((row) => row.map(csvCell).join(',')).join('\n') + '\n';

export function tradesCsv(team: TeamReport): string {
  return csv([['time', 'symbol', 'side', 'quantity', 'price', 'clientOrderId'], ...team.trades.map((t) => [t.time, t.symbol, t.side, t.quantity, t.price, t.clientOrderId])]);
}

export function equityCsv(team: TeamReport): string {
  const rows: Array<Array<string | number>> = [['time', 'equity', 'cash']];
  for (const point of team.equityCurve)
    rows.push([new Date(point.minute).toISOString().replace('.000Z', 'Z'), moneyToDecimalString(point.equity), moneyToDecimalString(point.cash)]);
  return csv(rows);
}

/** Writes `<teamId>.trades.csv` and `<teamId>.equity.csv` per team (the team id is file-name safe and unique); returns the paths. */
export async function writeTeamFiles(outcome: BacktestOutcome, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const written: string[] = [];
  for (const team of rankTeams(outcome.teams)) {
    const trades = path.join(dir, `${team.teamId}.trades.csv`);
    const equity = path.join(dir, `${team.teamId}.equity.csv`);
    await writeFile(trades, tradesCsv(team));
    await writeFile(equity, equityCsv(team));
    written.push(trades, equity);
  }
  return written;
}
