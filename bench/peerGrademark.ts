// `qtc backtest` against a JS backtesting peer (grademark + data-forge), each as a whole process.
// Run with: npm run bench:peer   (ROUNDS=5 by default)
// Prints one JSON object: each side's wall times over several alternating rounds, min and median,
// the ratio qtc / grademark (below 1: qtc is faster), the load average around the run, and whether
// the two made the same trades.
// Both run the SMA 10/30 crossover (examples/strategies/sma-crossover; its grademark twin in
// bench/peerGrademarkProcess.js) on the same file: real SPY minute bars from ../shared/data/bars/
// when present, else the seeded simulator's SPY (the JSON says which), cut to regular-session minutes
// beforehand so both read the same bars.
// Wall time is from spawn to exit of `node bin/qtc.js backtest … --json` (what `npx qtc` runs, without
// npm's own start-up) and of `node bench/peerGrademarkProcess.js`; a bare `node -e 0` is timed in the
// same rounds as the floor both pay.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { formatMinute, type Bar } from '../data/market/bar.ts';
import { ReplaySource } from '../data/market/replaySource.ts';
import { MarketSimulator } from '../data/market/simulator.ts';
import type { BacktestReport } from '../server/backtest/report.ts';
import { median } from './stats.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const BARS_DIR = path.resolve(ROOT, '../shared/data/bars');
const ROUNDS = Number(process.env['ROUNDS'] ?? 5);

interface Run {
  ms: number;
  stdout: string;
}

function run(args: readonly string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${String(code)}: ${Buffer.concat(err).toString()}`));
      else resolve({ ms, stdout: Buffer.concat(out).toString() });
    });
  });
}

/** Regular-session SPY bars: the real file's when there is one, else five simulated days. */
async function spyBars(): Promise<{ bars: Bar[]; source: string; note?: string }> {
  const file = existsSync(BARS_DIR) ? readdirSync(BARS_DIR).find((name) => /^SPY_.*\.csv$/.test(name)) : undefined;
  const bars: Bar[] = [];
  if (file !== undefined) {
    const replay = await ReplaySource.fromCsvFiles([path.join(BARS_DIR, file)]);
    if (replay.range !== null) for await (const { bars: minute } of replay.minutes(replay.range.first, replay.range.end, ['SPY'])) bars.push(...minute.values());
    return { bars, source: path.relative(ROOT, path.join(BARS_DIR, file)) };
  }
  const simulator = new MarketSimulator({ seed: 1 });
  const range = simulator.sessionRange(5);
  for await (const { bars: minute } of simulator.minutes(range.fromMs, range.toMs, ['SPY'])) bars.push(...minute.values());
  return { bars, source: 'simulator, seed 1, 5 days', note: `no SPY_*.csv in ${BARS_DIR}: simulated SPY instead of real bars` };
}

function csvOf(bars: readonly Bar[]): string {
  // String(number) round-trips every double, so both sides read the prices qtc would have read.
  const lines = bars.map((bar) => [formatMinute(bar.timestamp), bar.symbol, String(bar.open), String(bar.high), String(bar.low), String(bar.close), String(bar.volume)].join(','));
  return `timestamp,symbol,open,high,low,close,volume\n${lines.join('\n')}\n`;
}

interface RoundTrip {
  entryTime: string;
  entryPrice: number;
  exitTime: string;
  exitPrice: number;
}

/** qtc's fills as round trips (the example buys into a flat position and sells all of it); an open one is left out. */
function qtcRoundTrips(report: BacktestReport): { trips: RoundTrip[]; open: boolean } {
  const trips: RoundTrip[] = [];
  let entry: { time: string; price: number } | null = null;
  for (const trade of report.teams[0]?.trades ?? []) {
    if (trade.side === 'buy') entry = { time: trade.time, price: trade.price };
    else if (entry !== null) {
      trips.push({ entryTime: entry.time, entryPrice: entry.price, exitTime: trade.time, exitPrice: trade.price });
      entry = null;
    }
  }
  return { trips, open: entry !== null };
}

const iso = (time: string): string => new Date(time).toISOString();
const key = (trip: RoundTrip): string => `${iso(trip.entryTime)} ${iso(trip.exitTime)}`;

/** Round trips made at the same minutes by both, and of those, how many at the same prices (within half a cent). */
function compareTrades(qtc: RoundTrip[], grademark: Array<RoundTrip & { exitReason: string }>) {
  const closed = grademark.filter((trip) => trip.exitReason !== 'finalize');
  const peerByKey = new Map(closed.map((trip) => [key(trip), trip]));
  let sameMinutes = 0;
  let samePrices = 0;
  const onlyQtc: RoundTrip[] = [];
  for (const trip of qtc) {
    const twin = peerByKey.get(key(trip));
    if (twin === undefined) {
      onlyQtc.push(trip);
      continue;
    }
    sameMinutes++;
    if (Math.abs(trip.entryPrice - twin.entryPrice) < 0.005 && Math.abs(trip.exitPrice - twin.exitPrice) < 0.005) samePrices++;
  }
  const ours = new Set(qtc.map(key));
  return {
    qtcRoundTrips: qtc.length,
    grademarkRoundTrips: closed.length,
    grademarkFinalized: grademark.length - closed.length,
    sameMinutes,
    samePrices,
    firstOnlyInQtc: onlyQtc[0] ?? null,
    firstOnlyInGrademark: closed.find((trip) => !ours.has(key(trip))) ?? null,
  };
}

const stats = (values: readonly number[]) => ({ min: Math.round(Math.min(...values)), median: Math.round(median(values)), runs: values.map(Math.round) });

const market = await spyBars();
const dir = await mkdtemp(path.join(tmpdir(), 'qtc-peer-'));
const csv = path.join(dir, 'SPY_regular_session.csv');
await writeFile(csv, csvOf(market.bars));
const qtcArgs = ['--no-node-snapshot', 'bin/qtc.js', 'backtest', 'examples/strategies/sma-crossover', '--data', csv, '--json'];
const peerArgs = ['bench/peerGrademarkProcess.js', csv];

const loadBefore = loadavg();
const times = { qtc: [] as number[], grademark: [] as number[], node: [] as number[] };
let qtcOut = '';
let peerOut = '';
try {
  // One untimed run each first: disk cache and the compile cache warm for both.
  await run(qtcArgs);
  await run(peerArgs);
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate who goes first, so neither always runs right after the other's exit.
    const order = round % 2 === 0 ? (['qtc', 'grademark'] as const) : (['grademark', 'qtc'] as const);
    for (const side of order) {
      const result = await run(side === 'qtc' ? qtcArgs : peerArgs);
      times[side].push(result.ms);
      if (side === 'qtc') qtcOut = result.stdout;
      else peerOut = result.stdout;
    }
    times.node.push((await run(['-e', '0'])).ms);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
const loadAfter = loadavg();

const report = JSON.parse(qtcOut) as BacktestReport;
const peer = JSON.parse(peerOut) as { trades: Array<RoundTrip & { exitReason: string }> };
const ours = qtcRoundTrips(report);
const qtc = stats(times.qtc);
const grademark = stats(times.grademark);
console.log(
  JSON.stringify(
    {
      node: process.version,
      cores: availableParallelism(),
      loadAverage: { before: loadBefore.map((v) => Number(v.toFixed(2))), after: loadAfter.map((v) => Number(v.toFixed(2))) },
      data: { source: market.source, ...(market.note === undefined ? {} : { note: market.note }), bars: market.bars.length },
      strategy: 'SMA 10/30 crossover, long only, one symbol',
      rounds: ROUNDS,
      wallMs: { qtc, grademark, nodeStartFloor: stats(times.node) },
      // Below 1: `qtc backtest` is faster than grademark, whole process, same rounds.
      ratioQtcToGrademark: { min: Number((qtc.min / grademark.min).toFixed(3)), median: Number((qtc.median / grademark.median).toFixed(3)) },
      qtcEngineMs: Math.round(report.durationMs),
      trades: {
        ...compareTrades(ours.trips, peer.trades),
        qtcOpenAtEnd: ours.open,
        convention:
          "grademark enters and exits with market orders at the next bar's open; the qtc example sends limit orders at the last close, filled on the next bar at the better of open and limit when the bar trades through it, else left to expire at the session's close (from there the two can enter at different minutes); grademark closes a position still open at the end at the last close ('finalize', not compared) where qtc keeps it; qtc refuses an order decided on a session's last minute where grademark would fill at the next session's open; grademark evaluates no rule on the bar it fills on",
      },
    },
    null,
    2,
  ),
);
