// What the golden test compares: the outputs a strategy's view of the market can change. Shared by
// the test (tests/unit/sandbox/golden.test.ts) and its recorder (golden.record.ts), which wrote the
// fixtures from the code before the lean call path so that the test proves it changed nothing.
//   - `qtc backtest --json` (in-process isolates) on the example strategies and the probe
//     strategy, over synthetic bars and over the real bars of ../shared/data/bars when present;
//   - the probe run straight through a SandboxPool in child processes (the live server's mode) on
//     inputs built to reach the corners: sparse and late symbols, odd keys, unsorted prices, a
//     window that fills and shifts, positions that come and go, -0 and fractional cash.
//     Re-recorded once since, on purpose (bc5db45): gamma, loaded at minute 1,300, was given the
//     sparse ZZZ's bars of the last 1,200 minutes only; it now sees ZZZ's whole window, as a warm
//     isolate does. Nothing else in the file changed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { compileStrategy } from '../../../loaders/index.ts';
import { SandboxPool, type Bar, type TeamMinuteState, type TeamRunResult } from '../../../sandbox/index.ts';

const projectRoot = path.resolve(import.meta.dirname, '../../..');
export const goldenDir = path.join(import.meta.dirname, 'fixtures/golden');
const probeDir = path.join(import.meta.dirname, 'fixtures/probe');
const strategies = [...['sma-crossover', 'momentum', 'mean-reversion'].map((name) => path.join(projectRoot, 'examples/strategies', name)), probeDir];
const barsDir = path.resolve(projectRoot, '../shared/data/bars');

export interface GoldenCase {
  name: string;
  /** Absent when its input data is not on this machine. */
  available: boolean;
  run: () => Promise<string>;
}

function qtcBacktest(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    // A generous CPU limit: on a loaded machine a call can stall past the default 200 ms of wall
    // time, and a timeout would change the output for a reason that is not the code's.
    const child = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'backtest', ...args, '--json', '--cpu-ms', '10000'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`qtc backtest ${args.join(' ')} exited ${String(code)}: ${stderr}`));
      // The run's duration is the one figure that differs between runs.
      else resolve(stdout.replace(/"durationMs":\d+/, '"durationMs":0'));
    });
  });
}

function csvCase(name: string, file: string): GoldenCase {
  const csv = path.join(barsDir, file);
  return { name, available: existsSync(csv), run: () => qtcBacktest([...strategies, '--data', csv]) };
}

const POOL_START = Date.UTC(2025, 6, 8, 13, 30);
const POOL_MINUTES = 1_620; // past the 1,200-bar window and the point where the runtime shifts it

function poolBar(symbolIndex: number, index: number): Bar {
  const close = 50 + symbolIndex * 17 + Math.sin(index / (3 + symbolIndex)) * 4 + index * 0.01;
  return { timestamp: POOL_START + index * 60_000, open: close - 0.25, high: close + 0.5, low: close - 0.75, close, volume: 100 + ((index * 7 + symbolIndex) % 50) };
}

/** Own data properties whatever the key ("__proto__" included), as JSON.parse would make them. */
function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
}

function poolMinute(index: number) {
  const bars: Record<string, Bar> = {};
  const prices: Record<string, number> = {};
  const names = ['ZZZ', 'AAA', '__proto__', 'constructor', 'MMM'];
  for (const [i, symbol] of names.entries()) {
    if (symbol === 'ZZZ' && index % 7 === 3) continue; // sparse
    if (symbol === 'MMM' && index < 700) continue; // appears late
    setOwn(bars, symbol, poolBar(i, index));
  }
  // Prices in an unsorted order, one of a symbol that never has a bar.
  for (const symbol of ['PPP', ...Object.keys(bars).reverse()]) setOwn(prices, symbol, Object.hasOwn(bars, symbol) ? (bars[symbol]?.close ?? 0) : 12.5 + (index % 3));
  return { minute: POOL_START + index * 60_000, bars, prices };
}

function poolTeams(index: number): TeamMinuteState[] {
  return ['alpha', 'beta', 'gamma'].map((teamId, t) => {
    const positions: TeamMinuteState['positions'] = {};
    if ((index + t) % 4 !== 0) positions.AAA = { quantity: 1 + (index % 9), avgCost: 50.125 + t };
    if ((index + t) % 5 === 1) setOwn(positions, '__proto__', { quantity: 3, avgCost: 0.1 + 0.2 });
    if (index % 11 === 0) positions.ZZZ = { quantity: 2, avgCost: 1 / 3 };
    const cash = index % 13 === 0 ? -0 : 100_000 - index * 0.37 - t;
    return { teamId, cash, equity: 100_000 + Math.sin(index) * 10, positions };
  });
}

const keep = (result: TeamRunResult) => ({ signals: result.signals, invalidSignals: result.invalidSignals, error: result.error, logs: result.logs, memory: result.memory });

async function poolRun(mode: 'processes' | 'in-process'): Promise<string> {
  const compiled = await compileStrategy(probeDir);
  const pool = new SandboxPool({ mode, processes: 2, randomSecret: 'golden-secret', cpuMs: 10_000, loadMs: 10_000 });
  await pool.start();
  try {
    const lines: string[] = [];
    for (let index = 0; index < POOL_MINUTES; index++) {
      // Teams join late (a new isolate receives the whole window at once) and one reloads midway.
      if (index === 0 || index === 900) for (const teamId of ['alpha', 'beta']) await pool.load({ teamId, strategy: compiled, params: { n: 1 } });
      if (index === 1_300) await pool.load({ teamId: 'gamma', strategy: compiled });
      const teams = poolTeams(index).filter((team) => team.teamId !== 'gamma' || index >= 1_300);
      const results = await pool.runMinute({ ...poolMinute(index), teams });
      lines.push(JSON.stringify([...results].map(([teamId, result]) => [teamId, keep(result)])));
    }
    return `${lines.join('\n')}\n`;
  } finally {
    await pool.close();
  }
}

export const goldenCases: GoldenCase[] = [
  { name: 'backtest-synthetic.json', available: true, run: () => qtcBacktest([...strategies, '--synthetic', '--days', '5']) },
  csvCase('backtest-spy.json', 'SPY_1min_2025-07-08_to_2025-07-14.csv'),
  csvCase('backtest-fxy-dbb.json', 'FXY_DBB_1min_2025-06-30_to_2025-07-07.csv'),
  { name: 'pool-processes.jsonl', available: true, run: () => poolRun('processes') },
];

/** The in-process pool must give what the child processes give: compared with the same fixture. */
export const inProcessPoolRun = (): Promise<string> => poolRun('in-process');
