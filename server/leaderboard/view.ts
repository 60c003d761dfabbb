/**
 * The leaderboard as the public sees it: pure functions from per-team figures to the JSON of
 * `GET /leaderboard` (also what the WebSocket pushes and what Redis caches, byte for byte).
 * Field names follow the original QTC Alpha API (snake_case, `team_id`, `portfolio_value`, …) so its
 * clients keep working; the extra fields are additions.
 */
import type { PerformanceMetrics } from '../trading/metrics/metrics.ts';

/** One team's figures at its latest snapshot, in dollars (display values; the exact amounts stay in Postgres). */
export interface TeamStanding {
  teamId: string;
  name: string;
  enabled: boolean;
  halted: boolean;
  /** Epoch ms of the snapshot the figures come from. */
  minute: number;
  equity: number;
  cash: number;
  positionsValue: number;
  startingCash: number;
  metrics: PerformanceMetrics;
  /** 1 − equity / running peak, a positive fraction; null before any fall. */
  currentDrawdown: number | null;
  /** Latest equities (dollars), oldest first. */
  sparkline: number[];
}

/** Original metric names (and the percentage twins the original API offers). */
export interface MetricsView {
  total_return: number | null;
  total_return_percentage: number | null;
  annualized_return: number | null;
  annualized_return_percentage: number | null;
  annualized_volatility: number | null;
  annualized_volatility_percentage: number | null;
  sharpe_ratio: number | null;
  sortino_ratio: number | null;
  calmar_ratio: number | null;
  /** Negative fraction, as in the original API (−0.05 = a 5 % fall); null without a drawdown. */
  max_drawdown: number | null;
  max_drawdown_percentage: number | null;
  max_drawdown_duration_minutes: number | null;
  current_drawdown: number | null;
  current_drawdown_percentage: number | null;
  win_rate: number | null;
  profit_factor: number | null;
  total_trades: number;
  data_points: number;
  ranked: boolean;
}

export interface LeaderboardEntryView extends MetricsView {
  rank: number;
  team_id: string;
  name: string;
  portfolio_value: number;
  current_value: number;
  starting_value: number;
  cash: number;
  positions_value: number;
  enabled: boolean;
  halted: boolean;
  /** ISO time of the minute the figures come from. */
  as_of: string;
  sparkline: number[];
}

export interface LeaderboardView {
  leaderboard: LeaderboardEntryView[];
  /** ISO time of the latest minute on the board; null before the first snapshot. */
  minute: string | null;
  updated_at: string;
  competition_halted: boolean;
}

// Every figure is served at full double precision: the pages format for display (web/assets/format.js),
// clients that compute with the numbers get them unrounded. Dollar amounts are already exact to
// 1/10,000 dollar (server/trading/money.ts), so they pass through unchanged.
const ratio = (value: number | null): number | null => value;
const percent = (value: number | null): number | null => (value === null ? null : value * 100);
const dollars = (value: number): number => value;

export function metricsView(metrics: PerformanceMetrics, currentDrawdown: number | null): MetricsView {
  const drawdown = metrics.maxDrawdown === null ? null : -metrics.maxDrawdown;
  const current = currentDrawdown === null ? null : -currentDrawdown;
  return {
    total_return: ratio(metrics.totalReturn),
    total_return_percentage: percent(metrics.totalReturn),
    annualized_return: ratio(metrics.annualizedReturn),
    annualized_return_percentage: percent(metrics.annualizedReturn),
    annualized_volatility: ratio(metrics.volatility),
    annualized_volatility_percentage: percent(metrics.volatility),
    sharpe_ratio: ratio(metrics.sharpe),
    sortino_ratio: ratio(metrics.sortino),
    calmar_ratio: ratio(metrics.calmar),
    max_drawdown: ratio(drawdown),
    max_drawdown_percentage: percent(drawdown),
    max_drawdown_duration_minutes: metrics.maxDrawdownDurationMinutes,
    current_drawdown: ratio(current),
    current_drawdown_percentage: percent(current),
    win_rate: ratio(metrics.winRate),
    profit_factor: ratio(metrics.profitFactor),
    total_trades: metrics.tradeCount,
    data_points: metrics.observations,
    ranked: metrics.ranked,
  };
}

/** Highest equity first; equal equity by team id, so the order is stable. */
export function compareByEquity(a: TeamStanding, b: TeamStanding): number {
  return b.equity - a.equity || a.teamId.localeCompare(b.teamId);
}

export function buildLeaderboardView(standings: readonly TeamStanding[], competitionHalted: boolean, now: number): LeaderboardView {
  const sorted = [...standings].sort(compareByEquity);
  const latest = sorted.reduce<number | null>((max, standing) => (max === null || standing.minute > max ? standing.minute : max), null);
  return {
    leaderboard: sorted.map((standing, index) => ({
      rank: index + 1,
      team_id: standing.teamId,
      name: standing.name,
      portfolio_value: dollars(standing.equity),
      current_value: dollars(standing.equity),
      starting_value: dollars(standing.startingCash),
      cash: dollars(standing.cash),
      positions_value: dollars(standing.positionsValue),
      enabled: standing.enabled,
      halted: standing.halted,
      as_of: new Date(standing.minute).toISOString(),
      sparkline: standing.sparkline.map(dollars),
      ...metricsView(standing.metrics, standing.currentDrawdown),
    })),
    minute: latest === null ? null : new Date(latest).toISOString(),
    updated_at: new Date(now).toISOString(),
    competition_halted: competitionHalted,
  };
}

/** Sort keys of `GET /api/v1/leaderboard/metrics?sort_by=` (the original's, plus a few). */
export const SORT_KEYS = [
  'portfolio_value',
  'sharpe_ratio',
  'total_return',
  'calmar_ratio',
  'sortino_ratio',
  'annualized_return',
  'max_drawdown',
  'win_rate',
  'profit_factor',
] as const;
export type SortKey = (typeof SORT_KEYS)[number];

/**
 * Re-ranks by another figure: higher is better (for max_drawdown, a value closer to 0 is higher);
 * teams without a value go last, then by portfolio value.
 */
export function sortEntries<T extends LeaderboardEntryView>(entries: readonly T[], key: SortKey): T[] {
  const sorted = [...entries].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === null && y !== null) return 1;
    if (y === null && x !== null) return -1;
    if (x !== null && y !== null && x !== y) return y - x;
    return b.portfolio_value - a.portfolio_value || a.team_id.localeCompare(b.team_id);
  });
  return sorted.map((entry, index) => ({ ...entry, rank: index + 1 }));
}

/** The top of the board as the `leaderboard` activity event carries it. */
export function topOf(view: LeaderboardView, count: number): Array<{ rank: number; teamId: string; equity: number; totalReturn: number | null }> {
  return view.leaderboard.slice(0, count).map((entry) => ({ rank: entry.rank, teamId: entry.team_id, equity: entry.portfolio_value, totalReturn: entry.total_return }));
}
