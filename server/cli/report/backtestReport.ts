/**
 * `qtc backtest --report report.html`: one self-contained HTML file (inline CSS and SVG, no script,
 * no external URL) with, per strategy, its metrics, equity and drawdown over the trading minutes with
 * its buys and sells marked, a per-symbol breakdown, its trades and its errors. A pure function of the
 * backtest's result, so the same run gives the same file (except the generation time).
 */
import { writeFile } from 'node:fs/promises';
import type { PerformanceMetrics } from '../../trading/metrics/metrics.ts';
import { toDollars, type Money } from '../../trading/money.ts';

/** What the report reads of a strategy's backtest (the engine's TeamReport fits). */
export interface ReportTeam {
  id: string;
  equityCurve: ReadonlyArray<{ minute: number; equity: Money; cash: Money }>;
  trades: ReadonlyArray<{ time: string; symbol: string; side: 'buy' | 'sell'; quantity: number; price: number }>;
  errors: ReadonlyArray<{ time: string; source: string; kind: string; message: string }>;
  errorCount: number;
  metrics: { snapshot(): PerformanceMetrics };
}

export interface ReportInput {
  teams: readonly ReportTeam[];
  failed: ReadonlyArray<{ id: string; kind: string; message: string }>;
  minutes: number;
  bars: number;
  /** What the bars were, e.g. "synthetic, 5 days, 10 symbols, seed 1". */
  data: string;
  durationMs: number;
  generatedAt: Date;
}

const TRADES_SHOWN = 500;
const ERRORS_SHOWN = 50;
/** Points an SVG line keeps at most (min and max of each bucket, so spikes stay visible). */
const MAX_POINTS = 1_600;

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
const usd = (value: number | null): string =>
  value === null || !Number.isFinite(value) ? '—' : value.toLocaleString('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 2 });
const pct = (value: number | null, signed = false): string => (value === null || !Number.isFinite(value) ? '—' : `${signed && value > 0 ? '+' : ''}${(value * 100).toFixed(2)}%`);
const ratio = (value: number | null): string => (value === null || !Number.isFinite(value) ? '—' : value.toFixed(2));
const nyDay = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', month: 'short', day: 'numeric', year: 'numeric' });
const nyDayShort = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', month: 'short', day: 'numeric' });
const nyTime = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
const nyDate = (epochMs: number): string => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(epochMs);

export interface SymbolBreakdown {
  symbol: string;
  buys: number;
  sells: number;
  sharesBought: number;
  sharesSold: number;
  bought: number;
  sold: number;
  /** Realised with average-cost accounting, as the books do. */
  realized: number;
  openShares: number;
  lastPrice: number;
}

/** Per symbol: fills, shares and dollars each way, realised P&L (average cost) and the shares still held. */
export function symbolBreakdown(trades: ReportTeam['trades']): SymbolBreakdown[] {
  const rows = new Map<string, SymbolBreakdown & { cost: number }>();
  for (const trade of trades) {
    let row = rows.get(trade.symbol);
    if (!row)
      rows.set(
        trade.symbol,
        (row = { symbol: trade.symbol, buys: 0, sells: 0, sharesBought: 0, sharesSold: 0, bought: 0, sold: 0, realized: 0, openShares: 0, lastPrice: trade.price, cost: 0 }),
      );
    const notional = trade.quantity * trade.price;
    if (trade.side === 'buy') {
      row.buys += 1;
      row.sharesBought += trade.quantity;
      row.bought += notional;
      row.openShares += trade.quantity;
      row.cost += notional;
    } else {
      row.sells += 1;
      row.sharesSold += trade.quantity;
      row.sold += notional;
      const average = row.openShares > 0 ? row.cost / row.openShares : 0;
      const closed = Math.min(trade.quantity, row.openShares);
      row.realized += closed * (trade.price - average);
      row.cost -= closed * average;
      row.openShares -= closed;
    }
    row.lastPrice = trade.price;
  }
  return [...rows.values()]
    .map(({ cost: _cost, ...row }) => ({ ...row, realized: Math.round(row.realized * 100) / 100 }))
    .sort((a, b) => b.bought + b.sold - (a.bought + a.sold) || a.symbol.localeCompare(b.symbol));
}

/** Drawdown from the running peak at every point (0 or negative). */
export function drawdownSeries(values: readonly number[]): number[] {
  let peak = -Infinity;
  return values.map((value) => {
    peak = Math.max(peak, value);
    return peak > 0 ? value / peak - 1 : 0;
  });
}

/** Indices to draw: every point when few, else the first, min and max of each bucket, and the last. */
function sampleIndices(values: readonly number[]): number[] {
  if (values.length <= MAX_POINTS) return values.map((_v, i) => i);
  const buckets = MAX_POINTS / 2;
  const size = values.length / buckets;
  const keep = new Set<number>([0, values.length - 1]);
  for (let b = 0; b < buckets; b += 1) {
    const from = Math.floor(b * size);
    const to = Math.min(values.length, Math.floor((b + 1) * size));
    let min = from;
    let max = from;
    for (let i = from; i < to; i += 1) {
      if (values[i]! < values[min]!) min = i;
      if (values[i]! > values[max]!) max = i;
    }
    keep.add(min).add(max);
  }
  return [...keep].sort((a, b) => a - b);
}

const WIDTH = 960;
const PAD = { left: 78, right: 12, top: 10, bottom: 26 };

interface ChartOptions {
  height: number;
  values: readonly number[];
  minutes: readonly number[];
  yLabel: (value: number) => string;
  className: string;
  area?: boolean;
  markers?: ReadonlyArray<{ index: number; side: 'buy' | 'sell' }>;
  title: string;
}

/** A line over the trading minutes (x = minute index: nights and weekends take no room), days marked. */
function svgChart(options: ChartOptions): string {
  const { height, values, minutes } = options;
  if (values.length < 2) return `<p class="muted">Not enough minutes to draw ${escapeHtml(options.title.toLowerCase())}.</p>`;
  let min = Math.min(...values);
  let max = Math.max(...values);
  if (max - min < 1e-9) {
    max += Math.abs(max) * 0.001 || 1;
    min -= Math.abs(min) * 0.001 || 1;
  }
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const x = (index: number): number => PAD.left + (index / (values.length - 1)) * plotW;
  const y = (value: number): number => PAD.top + (1 - (value - min) / (max - min)) * plotH;
  const parts: string[] = [];
  // Horizontal grid and labels.
  for (let i = 0; i <= 4; i += 1) {
    const value = min + ((max - min) * i) / 4;
    const yy = y(value).toFixed(1);
    parts.push(`<line class="grid" x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${yy}" y2="${yy}"/>`);
    parts.push(`<text class="axis" x="${PAD.left - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${escapeHtml(options.yLabel(value))}</text>`);
  }
  // Day boundaries (New York days), labelled when there is room.
  const dayStarts: number[] = [];
  for (let i = 0; i < minutes.length; i += 1) if (i === 0 || nyDate(minutes[i]!) !== nyDate(minutes[i - 1]!)) dayStarts.push(i);
  const labelEvery = Math.max(1, Math.ceil(dayStarts.length / 10));
  dayStarts.forEach((index, n) => {
    const xx = x(index).toFixed(1);
    parts.push(`<line class="day" x1="${xx}" x2="${xx}" y1="${PAD.top}" y2="${height - PAD.bottom}"/>`);
    if (n % labelEvery === 0) parts.push(`<text class="axis" x="${xx}" y="${height - 8}" text-anchor="start">${escapeHtml(nyDayShort.format(minutes[index]))}</text>`);
  });
  const points = sampleIndices(values).map((i) => `${x(i).toFixed(1)},${y(values[i]!).toFixed(1)}`);
  if (options.area)
    parts.push(
      `<polygon class="${options.className} area" points="${x(0).toFixed(1)},${y(Math.min(0, max)).toFixed(1)} ${points.join(' ')} ${x(values.length - 1).toFixed(1)},${y(Math.min(0, max)).toFixed(1)}"/>`,
    );
  parts.push(`<polyline class="${options.className}" points="${points.join(' ')}"/>`);
  for (const marker of options.markers ?? []) {
    const cx = x(marker.index);
    const cy = y(values[marker.index]!);
    const d =
      marker.side === 'buy'
        ? `M${(cx - 5).toFixed(1)},${(cy + 9).toFixed(1)} L${(cx + 5).toFixed(1)},${(cy + 9).toFixed(1)} L${cx.toFixed(1)},${(cy + 1).toFixed(1)} Z`
        : `M${(cx - 5).toFixed(1)},${(cy - 9).toFixed(1)} L${(cx + 5).toFixed(1)},${(cy - 9).toFixed(1)} L${cx.toFixed(1)},${(cy - 1).toFixed(1)} Z`;
    parts.push(`<path class="marker ${marker.side}" d="${d}"/>`);
  }
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="${escapeHtml(options.title)}"><title>${escapeHtml(options.title)}</title>${parts.join('')}</svg>`;
}

const compactUsd = (value: number): string => value.toLocaleString('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 2 });

function metricsList(metrics: PerformanceMetrics, finalEquity: number, start: number | null): string {
  const rows: Array<[string, string]> = [
    ['Final equity', usd(finalEquity)],
    ['Starting equity', usd(start)],
    ['Total return', pct(metrics.totalReturn, true)],
    ['Annualised return', pct(metrics.annualizedReturn, true)],
    ['Volatility (annualised)', pct(metrics.volatility)],
    ['Sharpe', ratio(metrics.sharpe)],
    ['Sortino', ratio(metrics.sortino)],
    ['Calmar', ratio(metrics.calmar)],
    ['Max drawdown', pct(metrics.maxDrawdown)],
    ['Max drawdown duration', metrics.maxDrawdownDurationMinutes === null ? '—' : `${metrics.maxDrawdownDurationMinutes} minutes`],
    ['Win rate', pct(metrics.winRate)],
    ['Profit factor', ratio(metrics.profitFactor)],
    ['Closing trades', String(metrics.tradeCount)],
    ['Minute returns', String(metrics.observations)],
  ];
  return `<dl class="metrics">${rows.map(([label, value]) => `<div><dt>${escapeHtml(label)}</dt><dd>${escapeHtml(value)}</dd></div>`).join('')}</dl>`;
}

function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>, numeric: ReadonlySet<number>): string {
  const head = headers.map((h, i) => `<th scope="col"${numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell, i) => `<td${numeric.has(i) ? ' class="num"' : ''}>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('');
  return `<div class="table-wrap"><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function teamSection(team: ReportTeam, anchor: string): string {
  const metrics = team.metrics.snapshot();
  const minutes = team.equityCurve.map((point) => point.minute);
  const equity = team.equityCurve.map((point) => toDollars(point.equity));
  const finalEquity = equity.at(-1) ?? null;
  const index = new Map(minutes.map((minute, i) => [minute, i]));
  const markers: Array<{ index: number; side: 'buy' | 'sell' }> = [];
  for (const trade of team.trades) {
    const at = Date.parse(trade.time);
    const i = index.get(Math.floor(at / 60_000) * 60_000) ?? index.get(at);
    if (i !== undefined) markers.push({ index: i, side: trade.side });
  }
  const equityChart = svgChart({ height: 260, values: equity, minutes, yLabel: compactUsd, className: 'equity', markers, title: `Equity of ${team.id} over the trading minutes` });
  const drawdownChart = svgChart({
    height: 140,
    values: drawdownSeries(equity),
    minutes,
    yLabel: (v) => pct(v),
    className: 'drawdown',
    area: true,
    title: `Drawdown of ${team.id} from its running peak`,
  });
  const symbols = symbolBreakdown(team.trades);
  const symbolTable =
    symbols.length === 0
      ? '<p class="muted">No fill.</p>'
      : table(
          ['Symbol', 'Buys', 'Sells', 'Shares bought', 'Shares sold', 'Bought', 'Sold', 'Realised P&L', 'Shares held at the end', 'Last fill'],
          symbols.map((row) => [
            row.symbol,
            String(row.buys),
            String(row.sells),
            String(row.sharesBought),
            String(row.sharesSold),
            usd(row.bought),
            usd(row.sold),
            usd(row.realized),
            String(row.openShares),
            usd(row.lastPrice),
          ]),
          new Set([1, 2, 3, 4, 5, 6, 7, 8, 9]),
        );
  const trades = team.trades.slice(0, TRADES_SHOWN);
  const tradeTable =
    trades.length === 0
      ? '<p class="muted">No fill.</p>'
      : table(
          ['Time (New York)', 'Side', 'Shares', 'Symbol', 'Price', 'Value'],
          trades.map((trade) => [nyTime.format(Date.parse(trade.time)), trade.side, String(trade.quantity), trade.symbol, usd(trade.price), usd(trade.quantity * trade.price)]),
          new Set([2, 4, 5]),
        );
  const errors = team.errors.slice(0, ERRORS_SHOWN);
  const errorBlock =
    team.errorCount === 0
      ? '<p class="muted">No error and no rejected order.</p>'
      : `${table(
          ['Time (New York)', 'Source', 'Kind', 'Message'],
          errors.map((error) => [nyTime.format(Date.parse(error.time)), error.source, error.kind, error.message.slice(0, 500)]),
          new Set(),
        )}${team.errorCount > errors.length ? `<p class="muted">${team.errorCount - errors.length} more not shown (${team.errorCount} in all).</p>` : ''}`;
  return `<section class="team" id="${anchor}">
<h2>${escapeHtml(team.id)}</h2>
${metricsList(metrics, finalEquity ?? 0, equity[0] ?? null)}
<h3>Equity</h3>
<p class="legend"><span class="key buy">▲ buy</span> <span class="key sell">▼ sell</span> · one point per trading minute; vertical lines start New York days</p>
${equityChart}
<h3>Drawdown</h3>
${drawdownChart}
<h3>Per symbol</h3>
${symbolTable}
<h3>Trades${team.trades.length > TRADES_SHOWN ? ` (first ${TRADES_SHOWN} of ${team.trades.length})` : ''}</h3>
${tradeTable}
<h3>Errors and rejected orders</h3>
${errorBlock}
</section>`;
}

const STYLE = `
:root { color-scheme: light dark; --bg: #fff; --fg: #1c2128; --muted: #59636e; --line: #d1d9e0; --stripe: #f6f8fa; --accent: #0969da; --up: #1a7f37; --down: #cf222e; }
@media (prefers-color-scheme: dark) { :root { --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #3d444d; --stripe: #151b23; --accent: #4493f8; --up: #3fb950; --down: #f85149; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 72rem; padding: 1rem; background: var(--bg); color: var(--fg); font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0 0 .25rem; } h2 { font-size: 1.25rem; margin: 0 0 .5rem; } h3 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
.muted, .legend { color: var(--muted); font-size: .9rem; }
section.team { border-top: 2px solid var(--line); margin-top: 2rem; padding-top: 1rem; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: .9rem; }
th, td { padding: .35rem .5rem; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
td:last-child { white-space: normal; }
th { font-size: .75rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
tbody tr:nth-child(even) { background: var(--stripe); }
.num { text-align: right; }
dl.metrics { display: grid; grid-template-columns: repeat(auto-fill, minmax(12rem, 1fr)); gap: .25rem 1rem; margin: 0; }
dl.metrics div { display: flex; justify-content: space-between; gap: .5rem; border-bottom: 1px dotted var(--line); }
dl.metrics dt { color: var(--muted); } dl.metrics dd { margin: 0; font-variant-numeric: tabular-nums; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: var(--line); stroke-width: 1; }
svg .day { stroke: var(--line); stroke-dasharray: 3 3; }
svg .axis { fill: var(--muted); font-size: 12px; }
svg polyline { fill: none; stroke-width: 1.5; stroke-linejoin: round; vector-effect: non-scaling-stroke; }
svg .equity { stroke: var(--accent); }
svg .drawdown { stroke: var(--down); }
svg .area { fill: var(--down); fill-opacity: .18; stroke: none; }
svg .marker.buy, .key.buy { fill: var(--up); color: var(--up); }
svg .marker.sell, .key.sell { fill: var(--down); color: var(--down); }
.up { color: var(--up); } .down { color: var(--down); }
`;

/** The report as one HTML document. */
export function backtestReportHtml(input: ReportInput): string {
  const ranked = input.teams;
  const anchors = ranked.map((_team, i) => `strategy-${i + 1}`);
  const summary = table(
    ['#', 'Strategy', 'Final equity', 'Return', 'Sharpe', 'Sortino', 'Max drawdown', 'Win rate', 'Closing trades', 'Fills', 'Errors'],
    ranked.map((team, i) => {
      const metrics = team.metrics.snapshot();
      const last = team.equityCurve.at(-1);
      return [
        String(i + 1),
        team.id,
        usd(last ? toDollars(last.equity) : null),
        pct(metrics.totalReturn, true),
        ratio(metrics.sharpe),
        ratio(metrics.sortino),
        pct(metrics.maxDrawdown),
        pct(metrics.winRate),
        String(metrics.tradeCount),
        String(team.trades.length),
        String(team.errorCount),
      ];
    }),
    new Set([0, 2, 3, 4, 5, 6, 7, 8, 9, 10]),
  );
  const first = ranked.find((team) => team.equityCurve.length > 0)?.equityCurve[0]?.minute;
  const last = ranked.find((team) => team.equityCurve.length > 0)?.equityCurve.at(-1)?.minute;
  const period = first === undefined || last === undefined ? '' : ` · ${nyDay.format(first)} to ${nyDay.format(last)}`;
  const failed = input.failed
    .map((failure) => `<p class="down">${escapeHtml(failure.id)} did not load (${escapeHtml(failure.kind)}): ${escapeHtml(failure.message.slice(0, 1_000))}</p>`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QTC backtest: ${escapeHtml(ranked.map((team) => team.id).join(', ') || 'no strategy')}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Backtest report</h1>
<p class="muted">Data: ${escapeHtml(input.data)}${escapeHtml(period)} · ${input.minutes.toLocaleString('en-US')} minutes, ${input.bars.toLocaleString('en-US')} bars · ran in ${(input.durationMs / 1000).toFixed(1)} s · written ${escapeHtml(input.generatedAt.toISOString().replace('T', ' ').slice(0, 16))} UTC by qtc backtest</p>
${failed}
<h2>Summary</h2>
${summary}
<p class="muted">Ratios are annualised from minute returns (252 × 390 a year) and need 30 of them; "—" means undefined (no volatility, no drawdown, no closing trade). Times are New York time.</p>
${ranked.map((team, i) => teamSection(team, anchors[i]!)).join('\n')}
</body>
</html>
`;
}

export async function writeBacktestReport(file: string, input: ReportInput): Promise<void> {
  await writeFile(file, backtestReportHtml(input));
}
