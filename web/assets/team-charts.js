/* global document, window, getComputedStyle */
// The dashboard's charts, drawn by uPlot (served from node_modules at /assets/uplot.js): equity over
// market time with the team's buys and sells marked, its drawdown below (cursors linked), and the
// strategy's CPU time per minute. Times are New York time, as everywhere on the site.
import uPlot from './uplot.js';
import { formatDrawdown, formatMarketMinute, formatMoney } from './format.js';

const TIME_ZONE = 'America/New_York';
const css = (name, fallback) => getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
const compactMoney = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', notation: 'compact', maximumFractionDigits: 2 });

function palette() {
  return {
    fg: css('--fg', '#1c2128'),
    muted: css('--muted', '#59636e'),
    line: css('--line', '#d1d9e0'),
    accent: css('--accent', '#0969da'),
    up: css('--up', '#1a7f37'),
    down: css('--down', '#cf222e'),
  };
}

/** Time-axis steps in seconds: never finer than a minute (the books are marked once a minute). */
const TIME_STEPS = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000];

function timeAxis(colors) {
  return axis(colors, { incrs: TIME_STEPS });
}

function axis(colors, extra = {}) {
  return { stroke: colors.muted, grid: { stroke: colors.line, width: 1 }, ticks: { stroke: colors.line, width: 1 }, ...extra };
}

const timeSeries = () => ({ label: 'Time (ET)', value: (_u, seconds) => (seconds === null || seconds === undefined ? '—' : formatMarketMinute(seconds * 1000)) });

function baseOptions(width, height) {
  return {
    width,
    height,
    tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), TIME_ZONE),
    cursor: { sync: { key: 'qtc-team' }, drag: { x: true, y: false } },
    legend: { live: true },
  };
}

/** Keeps a chart as wide as its container (the page must never scroll sideways on a phone). */
function fitWidth(plot, container, height) {
  let pending = false;
  const fit = () => {
    pending = false;
    const width = Math.max(200, Math.floor(container.clientWidth));
    if (width !== plot.width) plot.setSize({ width, height });
  };
  window.addEventListener('resize', () => {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(fit);
  });
  return fit;
}

const toSeconds = (points) => points.map((point) => point.t / 1000);

/** Equity with trade markers, and the drawdown from the running peak under it. */
export function createEquityCharts(equityContainer, drawdownContainer) {
  const colors = palette();
  const width = Math.max(200, equityContainer.clientWidth);
  const marker = (label, color) => ({
    label,
    stroke: color,
    fill: color,
    width: 0,
    paths: () => null,
    points: { show: true, size: 9, width: 1, stroke: color, fill: color },
    value: (_u, value) => (value === null || value === undefined ? '—' : '●'),
  });
  const equity = new uPlot(
    {
      ...baseOptions(width, 220),
      scales: { x: { time: true } },
      series: [
        timeSeries(),
        { label: 'Equity', stroke: colors.accent, width: 2, value: (_u, value) => formatMoney(value) },
        marker('Bought', colors.up),
        marker('Sold', colors.down),
      ],
      axes: [timeAxis(colors), axis(colors, { size: 64, values: (_u, splits) => splits.map((value) => compactMoney.format(value)) })],
    },
    [[], [], [], []],
    equityContainer,
  );
  const drawdown = new uPlot(
    {
      ...baseOptions(width, 120),
      scales: { x: { time: true }, y: { range: (_u, min) => [Math.min(min ?? 0, -0.001) * 1.1, 0] } },
      series: [timeSeries(), { label: 'Drawdown', stroke: colors.down, fill: `${colors.down}33`, width: 1.5, value: (_u, value) => formatDrawdown(value) }],
      axes: [timeAxis(colors), axis(colors, { size: 64, values: (_u, splits) => splits.map((value) => formatDrawdown(value)) })],
    },
    [[], []],
    drawdownContainer,
  );
  const fitEquity = fitWidth(equity, equityContainer, 220);
  const fitDrawdown = fitWidth(drawdown, drawdownContainer, 120);
  return {
    /** `points` [{t, value}], `markers` {buys, sells} aligned with them, `dd` drawdowns aligned with them. */
    update(points, markers, dd) {
      const x = toSeconds(points);
      equity.setData([x, points.map((point) => point.value), markers.buys, markers.sells]);
      drawdown.setData([x, dd]);
    },
    fit() {
      fitEquity();
      fitDrawdown();
    },
  };
}

/** CPU milliseconds of the strategy per minute, as bars; minutes with an error in red. */
export function createCpuChart(container) {
  const colors = palette();
  const width = Math.max(200, container.clientWidth);
  const bars = uPlot.paths.bars({ size: [0.8, 12] });
  const plot = new uPlot(
    {
      ...baseOptions(width, 140),
      cursor: { drag: { x: true, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, (max ?? 0) * 1.15)] } },
      series: [
        timeSeries(),
        {
          label: 'CPU',
          stroke: colors.accent,
          fill: `${colors.accent}66`,
          width: 1,
          paths: bars,
          points: { show: false },
          value: (_u, value) => (value === null || value === undefined ? '—' : `${value.toFixed(2)} ms`),
        },
        {
          label: 'with error',
          stroke: colors.down,
          fill: `${colors.down}aa`,
          width: 1,
          paths: bars,
          points: { show: false },
          value: (_u, value) => (value === null || value === undefined ? '—' : `${value.toFixed(2)} ms`),
        },
      ],
      axes: [timeAxis(colors), axis(colors, { size: 52, values: (_u, splits) => splits.map((value) => `${value} ms`) })],
    },
    [[], [], []],
    container,
  );
  const fit = fitWidth(plot, container, 140);
  return {
    /** `points` [{t, cpuMs, error}], oldest first. */
    update(points) {
      plot.setData([toSeconds(points), points.map((point) => (point.error ? null : point.cpuMs)), points.map((point) => (point.error ? point.cpuMs : null))]);
    },
    fit,
  };
}
