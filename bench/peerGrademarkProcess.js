// The peer side of bench/peerGrademark.ts, run as a whole process: grademark (with data-forge) backtests
// the SMA 10/30 crossover of examples/strategies/sma-crossover on one symbol's bars and prints its
// trades as one JSON line. Plain JavaScript, written the way grademark's README writes a strategy
// (indicators prepared with data-forge, entry and exit rules reading the prepared bar), so the peer pays
// no TypeScript stripping.
// Usage: node bench/peerGrademarkProcess.js <bars.csv>   (timestamp,symbol,open,high,low,close,volume)
import { readFileSync } from 'node:fs';
import dataForge from 'data-forge';
import { backtest } from 'grademark';

const FAST = 10;
const SLOW = 30;

const file = process.argv[2];
if (file === undefined) throw new Error('usage: node bench/peerGrademarkProcess.js <bars.csv>');

const bars = dataForge
  .fromCSV(readFileSync(file, 'utf8'))
  // Numbers parsed here: data-forge's dynamicTyping rounds prices through 32-bit floats.
  .select((row) => ({
    time: new Date(row.timestamp),
    open: Number(row.open),
    high: Number(row.high),
    low: Number(row.low),
    close: Number(row.close),
    volume: Number(row.volume),
  }));

/** The mean of the closes over the `period` bars ending at each bar (data-forge-indicators' sma, inlined). */
function sma(series, period) {
  return series
    .deflate((bar) => bar.close)
    .rollingWindow(period)
    .select((window) => [window.getIndex().last(), window.average()])
    .withIndex((pair) => pair[0])
    .select((pair) => pair[1]);
}

/** The lookback's two bars in time order: grademark hands over its ring buffer's storage, which wraps. */
function lastTwo(lookback) {
  const [a, b] = lookback.toArray();
  return a.time < b.time ? [a, b] : [b, a];
}

const strategy = {
  // The previous bar's averages too: a cross is decided on the last two bars, as in the qtc example.
  lookbackPeriod: 2,
  prepIndicators: ({ inputSeries }) =>
    inputSeries
      .withSeries('fast', sma(inputSeries, FAST))
      .withSeries('slow', sma(inputSeries, SLOW))
      .skip(SLOW - 1),
  entryRule: (enterPosition, { lookback }) => {
    const [before, now] = lastTwo(lookback);
    if (before.fast <= before.slow && now.fast > now.slow) enterPosition();
  },
  exitRule: (exitPosition, { lookback }) => {
    const [before, now] = lastTwo(lookback);
    if (before.fast >= before.slow && now.fast < now.slow) exitPosition();
  },
};

const trades = backtest(strategy, bars);
process.stdout.write(
  `${JSON.stringify({
    trades: trades.map((trade) => ({
      entryTime: trade.entryTime.toISOString(),
      entryPrice: trade.entryPrice,
      exitTime: trade.exitTime.toISOString(),
      exitPrice: trade.exitPrice,
      exitReason: trade.exitReason,
    })),
  })}\n`,
);
