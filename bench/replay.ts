// Replay benchmark: minutes per second of `qtc replay`'s engine (server/replay: rebuild each minute,
// run every team in the sandbox, decide, books, snapshot, then compare everything) for TEAMS teams ×
// one trading day, against its peer measured in the same run: the backtest engine on the same bars,
// teams, strategy and sandbox mode (child processes, as `qtc replay` uses). Prints one JSON object.
// Run with: npm run bench:replay   (TEAMS=100 MINUTES=390 by default)
//
// The recorded season is made in memory by a first replay (its runs, fills and snapshots become the
// record), so the figure is the engine's and the comparison's, not Postgres's; reading the season is
// timed separately by the integration test's database, not here.
import path from 'node:path';
import { MarketSimulator } from '../data/market/simulator.ts';
import type { MinuteSnapshot } from '../data/market/source.ts';
import { compileStrategy } from '../loaders/index.ts';
import { parseRegistry } from '../registry/load.ts';
import { SandboxPool } from '../sandbox/index.ts';
import { runBacktest, type BacktestMinute } from '../server/backtest/engine.ts';
import { compareSeason } from '../server/replay/compare.ts';
import { ReplayHost } from '../server/replay/host.ts';
import type { RecordedRun, RecordedSeason, RecordedTick } from '../server/replay/recorded.ts';
import { replaySeason, type ReplayedSeason } from '../server/replay/run.ts';
import { barsHash, carryPrices, encodeBars } from '../server/tick/barsSnapshot.ts';
import { toMoney } from '../server/trading/money.ts';
import { riskLimitsFrom } from '../server/trading/risk/limits.ts';

const TEAMS = Number(process.env.TEAMS ?? 100);
const MINUTES = Number(process.env.MINUTES ?? 390);
const SYMBOLS = ['AAPL', 'AMZN', 'GOOGL', 'JPM', 'META', 'MSFT', 'NVDA', 'SPY', 'TSLA', 'XOM'];
const SECRET = 'b'.repeat(64);
const CPU_MS = 5_000;
const round = (value: number, digits = 1): number => Number(value.toFixed(digits));

const teamIds = Array.from({ length: TEAMS }, (_, i) => `t${String(i).padStart(3, '0')}`);
const registryText = [
  'competition:',
  '  name: Replay bench',
  `  universe: [${SYMBOLS.join(', ')}]`,
  '  startingCash: 100000',
  '  marketData: { source: simulator, seed: 42 }',
  // A generous CPU limit: a timeout on a busy machine is the one outcome a replay cannot reproduce.
  `  limits: { cpuMs: ${String(CPU_MS)}, memoryMb: 64 }`,
  'teams:',
  ...teamIds.flatMap((id) => [`  - id: ${id}`, `    name: Team ${id}`, `    repo: https://example.org/${id}.git`]),
  '',
].join('\n');
const parsed = parseRegistry(registryText);
if (!parsed.ok) throw new Error(`bench registry invalid: ${JSON.stringify(parsed.errors)}`);

const simulator = new MarketSimulator({ seed: 42 });
const range = simulator.sessionRange(1);
const minutes: MinuteSnapshot[] = [];
for await (const snapshot of simulator.minutes(range.fromMs, range.toMs, SYMBOLS)) if (minutes.length < MINUTES) minutes.push(snapshot);

const sma = await compileStrategy(path.resolve(import.meta.dirname, '../examples/strategies/sma-crossover'));

// The season as the live tick would have stored it: bars with their hash and carried prices, every team
// due on version 1, loaded at the first minute with empty memory, no halts.
const ticks: RecordedTick[] = [];
let prices: Record<string, number> = {};
for (const snapshot of minutes) {
  const bars = encodeBars(snapshot.bars);
  prices = carryPrices(prices, bars);
  ticks.push({
    minute: snapshot.minute,
    status: 'completed',
    barHash: barsHash(snapshot.minute, bars),
    bars,
    prices,
    teams: teamIds.map((teamId) => ({ teamId, versionId: 1 })),
    startedAt: snapshot.minute,
    errors: [],
  });
}
const unrecorded: RecordedSeason = {
  ticks,
  conditions: new Map(ticks.map((tick) => [tick.minute, { registryVersion: 1, simSlippageBps: 0, haltedCompetition: false, haltedTeams: new Set<string>() }])),
  loads: new Map([[ticks[0]!.minute, new Map(teamIds.map((teamId) => [teamId, {}]))]]),
  runs: new Map(),
  registries: [{ version: 1, text: registryText, createdAt: 0 }],
  bundles: new Map([[1, sma]]),
  randomSecret: SECRET,
  fills: new Map(),
  snapshots: new Map(),
  metrics: new Map(),
};

async function withPool<T>(work: (pool: SandboxPool) => Promise<T>): Promise<T> {
  const pool = new SandboxPool({ mode: 'processes', processes: 1, randomSecret: SECRET });
  await pool.start();
  try {
    return await work(pool);
  } finally {
    await pool.close();
  }
}

function asRecorded(replay: ReplayedSeason): RecordedSeason {
  const runs = new Map<number, Map<string, RecordedRun>>();
  for (const [minute, byTeam] of replay.runs) runs.set(minute, new Map([...byTeam].map(([teamId, run]) => [teamId, { ...run }])));
  return { ...unrecorded, runs, fills: replay.fills, snapshots: replay.snapshots };
}

// Pass 1 makes the record; pass 2 is the measured replay with its comparison; the backtest is the peer.
const recordStarted = performance.now();
const recorded = asRecorded(await withPool((pool) => replaySeason(unrecorded, { host: new ReplayHost(pool, unrecorded.bundles), defaultSlippageBps: 0 })));
const recordMs = performance.now() - recordStarted;

const replayStarted = performance.now();
let compareMs = 0;
const verdicts = await withPool(async (pool) => {
  const replayed = await replaySeason(recorded, { host: new ReplayHost(pool, recorded.bundles), defaultSlippageBps: 0 });
  const compareStarted = performance.now();
  const out = compareSeason(recorded, replayed);
  compareMs = performance.now() - compareStarted;
  return out;
});
const replayMs = performance.now() - replayStarted;
const diverged = verdicts.filter((verdict) => !verdict.identical);
if (diverged.length > 0) throw new Error(`the replay of its own record diverged: ${JSON.stringify(diverged.slice(0, 2))}`);

const backtestStarted = performance.now();
const backtest = await withPool((pool) =>
  runBacktest({
    strategies: teamIds.map((teamId) => ({ id: teamId, teamId, compiled: sma, params: {}, cpuMs: CPU_MS })),
    minutes: minutes as Iterable<BacktestMinute>,
    universe: SYMBOLS,
    capital: toMoney(100_000),
    slippageBps: 0,
    limits: riskLimitsFrom(parsed.registry.competition.risk),
    pool,
  }),
);
const backtestMs = performance.now() - backtestStarted;

const fills = [...recorded.fills.values()].reduce((sum, list) => sum + list.length, 0);
const replayRate = (MINUTES * 1000) / replayMs;
const backtestRate = (MINUTES * 1000) / backtestMs;
console.log(
  JSON.stringify({
    bench: 'replay',
    teams: TEAMS,
    minutes: MINUTES,
    strategy: 'examples/strategies/sma-crossover',
    sandbox: 'processes (1)',
    fills,
    identicalTeams: verdicts.length,
    recordPassMs: Math.round(recordMs),
    replay: { ms: Math.round(replayMs), compareMs: Math.round(compareMs), minutesPerSecond: round(replayRate), teamMinutesPerSecond: Math.round(replayRate * TEAMS) },
    backtestPeer: { ms: Math.round(backtestMs), minutesPerSecond: round(backtestRate), teams: backtest.teams.length },
    replayOverBacktest: round(replayRate / backtestRate, 3),
  }),
);
