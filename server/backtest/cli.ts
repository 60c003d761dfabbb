// `qtc backtest`, loaded only when the command is used: it brings the sandbox (isolated-vm) with it.
import path from 'node:path';
import { ReplaySource } from '../../data/market/replaySource.ts';
import type * as LoadersModule from '../../loaders/index.ts';
import type { Registry } from '../../registry/schema.ts';
import { SandboxPool, type CompiledStrategy } from '../../sandbox/index.ts';
import { checkReportText } from '../cli/commands/check.ts';
import { uniqueNames } from '../offline/replayRun.ts';
import { toMoney } from '../trading/money.ts';
import { riskLimitsFrom } from '../trading/risk/limits.ts';
import { runBacktest, type BacktestMinute, type BacktestOutcome, type BacktestStrategy } from './engine.ts';
import { progressBar } from './progress.ts';
import { buildReport, leaderboardText, writeTeamFiles, type BacktestReport } from './report.ts';
import { BacktestUsageError, backtestSettings, parseRiskOverrides, type BacktestSettings } from './settings.ts';
import { StrategyCache, strategyKey } from './strategyCache.ts';
import type { SyntheticOptions } from './synthetic.ts';

export interface BacktestCommandOptions {
  data?: string[];
  synthetic?: boolean;
  days?: string;
  symbols?: string;
  seed?: string;
  json?: boolean;
  capital?: string;
  slippageBps?: string;
  out?: string;
  params?: string;
  cpuMs?: string;
  skipStaticCheck?: boolean;
  registry?: string;
  risk?: string[];
}

export { BacktestUsageError };

/** Relative to the working directory when inside it, absolute otherwise. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

function numberOption(name: string, raw: string | undefined, fallback: number, check: (value: number) => boolean, expected: string): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !check(value)) throw new BacktestUsageError(`${name} must be ${expected} (got ${raw})`);
  return value;
}

function parseParams(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new BacktestUsageError(`--params must be a JSON object, e.g. '{"fast":10}' (got ${raw})`, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BacktestUsageError('--params must be a JSON object');
  return value as Record<string, unknown>;
}

/** Client order ids need `[A-Za-z0-9_-]`: folder names are mapped onto that, kept unique and short. */
export function teamIdsFor(ids: readonly string[]): string[] {
  const used = new Set<string>();
  return ids.map((id) => {
    const base = id.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60) || 'strategy';
    let candidate = base;
    for (let n = 2; used.has(candidate); n++) candidate = `${base}-${String(n)}`;
    used.add(candidate);
    return candidate;
  });
}

interface MarketInput {
  minutes: Iterable<BacktestMinute> | AsyncIterable<BacktestMinute>;
  totalMinutes: number;
  universe: string[];
  description: string;
}

/** The minutes to replay; with a registry, only its universe's bars (what the live tick would deliver). */
async function loadMarket(options: BacktestCommandOptions, universe: readonly string[] | null): Promise<MarketInput> {
  const data = options.data ?? [];
  if (options.synthetic === true && data.length > 0) throw new BacktestUsageError('give either --data <csv>... or --synthetic, not both');
  if (options.synthetic !== true && data.length === 0)
    throw new BacktestUsageError('no market data: give --data <csv>... (timestamp,symbol,open,high,low,close,volume) or --synthetic');
  if (options.synthetic !== true) {
    if (options.days !== undefined || options.symbols !== undefined || options.seed !== undefined) throw new BacktestUsageError('--days, --symbols and --seed go with --synthetic');
    const source = await ReplaySource.fromCsvFiles(data);
    if (source.range === null) throw new BacktestUsageError(`${data.join(', ')}: no regular-session bars to backtest on`);
    const minutes: BacktestMinute[] = [];
    for await (const snapshot of source.minutes(source.range.first, source.range.end, universe ?? source.symbols)) minutes.push(snapshot);
    return { minutes, totalMinutes: minutes.length, universe: [...(universe ?? source.symbols)], description: data.map((file) => path.basename(file)).join(', ') };
  }
  const synthetic: SyntheticOptions = {
    days: numberOption('--days', options.days, 5, (v) => Number.isInteger(v) && v >= 1 && v <= 260, 'a whole number of trading days from 1 to 260'),
    seed: numberOption('--seed', options.seed, 1, (v) => Number.isSafeInteger(v), 'an integer'),
    ...(options.symbols === undefined ? (universe === null ? {} : { symbols: [...universe] }) : { symbols: parseSymbols(options.symbols) }),
  };
  // Only with --synthetic: the simulator's profiles bring zod.
  const { syntheticMarket } = await import('./synthetic.ts');
  const market = syntheticMarket(synthetic);
  return {
    minutes: market.minutes,
    totalMinutes: market.totalMinutes,
    universe: market.symbols,
    description: `synthetic, ${String(synthetic.days)} days, ${String(market.symbols.length)} symbols, seed ${String(synthetic.seed)}`,
  };
}

function parseSymbols(raw: string): string[] {
  const symbols = raw
    .split(',')
    .map((symbol) => symbol.trim().toUpperCase())
    .filter(Boolean);
  if (symbols.length === 0) throw new BacktestUsageError('--symbols needs at least one ticker, e.g. --symbols SPY,QQQ');
  for (const symbol of symbols)
    if (!/^[A-Z][A-Z0-9.]{0,9}$/.test(symbol)) throw new BacktestUsageError(`--symbols: ${symbol} is not a ticker (capitals, digits and '.', e.g. BRK.B)`);
  if (new Set(symbols).size !== symbols.length) throw new BacktestUsageError('--symbols lists a symbol twice');
  return symbols;
}

type Loaders = typeof LoadersModule;

/** A folder's cache key (null: not cacheable) and the checked bundle kept under it, if any. */
interface CachedStrategy {
  key: string | null;
  compiled: CompiledStrategy | null;
}

function lookUp(dirs: readonly string[], cache: StrategyCache): CachedStrategy[] {
  return dirs.map((dir) => {
    const key = strategyKey(dir);
    return { key, compiled: key === null ? null : cache.get(key) };
  });
}

/**
 * Each folder's bundle, begun at once: esbuild bundles in its own process, so this overlaps the reading
 * of the bars and the static check (both on this thread). A rejection is handled here and seen again
 * where the bundle is awaited: only for a folder that passed the static check, as when compiled after it.
 * A cached bundle is not built again.
 */
function startCompiles(dirs: readonly string[], cached: readonly CachedStrategy[], loaders: Loaders | null): Array<Promise<CompiledStrategy>> {
  return dirs.map((dir, index) => {
    const kept = cached[index]?.compiled ?? null;
    if (kept !== null) return Promise.resolve(kept);
    if (loaders === null) throw new Error('unreachable: a folder to compile without the loaders');
    const compiling = loaders.compileStrategy(dir);
    compiling.catch(() => undefined);
    return compiling;
  });
}

async function prepare(
  dirs: readonly string[],
  options: BacktestCommandOptions,
  settings: BacktestSettings,
  compiling: ReadonlyArray<Promise<CompiledStrategy>>,
  cached: readonly CachedStrategy[],
  loaders: Loaders | null,
  cache: StrategyCache,
): Promise<BacktestStrategy[] | undefined> {
  const ids = uniqueNames(dirs.map((dir) => path.basename(path.resolve(dir))));
  const teamIds = teamIdsFor(ids);
  const strategies: BacktestStrategy[] = [];
  const keeping: Array<Promise<void>> = [];
  let rejected = false;
  for (const [index, dir] of dirs.entries()) {
    const { key, compiled: kept } = cached[index] ?? { key: null, compiled: null };
    // A cached bundle passed the check on these very files.
    const checked = kept === null && options.skipStaticCheck !== true;
    if (checked) {
      if (loaders === null) throw new Error('unreachable: a folder to check without the loaders');
      const report = await loaders.checkStrategy(dir);
      if (!report.ok) {
        process.stderr.write(checkReportText(report, dir));
        rejected = true;
        continue;
      }
    }
    const compiled = await (compiling[index] ?? Promise.reject(new Error(`unreachable: no bundle begun for ${dir}`)));
    // Kept only when the folder is still what was hashed before it was checked and built.
    if (checked && key !== null && strategyKey(dir) === key) keeping.push(cache.put(key, compiled));
    const id = ids[index] ?? dir;
    const team = settings.team(id);
    if (options.registry !== undefined && !team.registered)
      process.stderr.write(`qtc: ${id} is not a team of ${options.registry}: it runs with the competition's settings and no params of its own\n`);
    strategies.push({
      id,
      teamId: teamIds[index] ?? 'strategy',
      compiled,
      params: team.params,
      limits: riskLimitsFrom(team.risk),
      ...(team.cpuMs === undefined ? {} : { cpuMs: team.cpuMs }),
      ...(team.memoryMb === undefined ? {} : { memoryMb: team.memoryMb }),
    });
  }
  await Promise.all(keeping);
  if (rejected) {
    process.stderr.write('qtc: not running the backtest: fix the findings above (qtc check <dir>)\n');
    return undefined;
  }
  return strategies;
}

async function readRegistry(file: string | undefined): Promise<Registry | null> {
  if (file === undefined) return null;
  // Only with --registry: the YAML parser is not loaded otherwise.
  const { loadRegistryFile } = await import('../../registry/load.ts');
  try {
    return await loadRegistryFile(file);
  } catch (error) {
    throw new BacktestUsageError(`--registry: ${(error as Error).message}`, { cause: error });
  }
}

/** What a finished run leaves to its caller (`qtc backtest --report` writes its HTML from it). */
export interface BacktestRun {
  outcome: BacktestOutcome;
  report: BacktestReport;
  /** What the bars were, as printed on the first line. */
  data: string;
}

export async function runBacktestCommand(dirs: string[], options: BacktestCommandOptions): Promise<BacktestRun | undefined> {
  const capital =
    options.capital === undefined
      ? undefined
      : numberOption('--capital', options.capital, 100_000, (v) => Number.isFinite(v) && v > 0 && v <= 1e12, 'a positive amount of dollars');
  const slippageBps = numberOption('--slippage-bps', options.slippageBps, 0, (v) => Number.isFinite(v) && v >= 0 && v <= 1000, 'from 0 to 1000 basis points');
  const cpuMs =
    options.cpuMs === undefined ? undefined : numberOption('--cpu-ms', options.cpuMs, 200, (v) => Number.isInteger(v) && v >= 1 && v <= 10_000, 'an integer from 1 to 10000');
  const settings = await backtestSettings(await readRegistry(options.registry), {
    risk: parseRiskOverrides(options.risk ?? []),
    ...(capital === undefined ? {} : { capital }),
    ...(options.params === undefined ? {} : { params: parseParams(options.params) }),
    ...(cpuMs === undefined ? {} : { cpuMs }),
  });
  const cache = new StrategyCache();
  const cached = lookUp(dirs, cache);
  // The checker's parser and esbuild are loaded only when a folder's checked bundle is not cached.
  const loaders = cached.every(({ compiled }) => compiled !== null) ? null : await import('../../loaders/index.ts');
  const compiling = startCompiles(dirs, cached, loaders);
  const market = await loadMarket(options, settings.universe);
  const strategies = await prepare(dirs, options, settings, compiling, cached, loaders, cache);
  if (strategies === undefined) {
    process.exitCode = 1;
    return;
  }

  const started = performance.now();
  // In-process isolates (same runtime and limits, no IPC: several times faster). The price: a
  // strategy that aborts V8 ends this offline run instead of a restartable child process.
  const pool = new SandboxPool({ mode: 'in-process', ...(cpuMs === undefined ? {} : { cpuMs }) });
  await pool.start();
  const progress = progressBar(market.totalMinutes, 'backtest');
  let outcome;
  try {
    outcome = await runBacktest({
      strategies,
      minutes: market.minutes,
      universe: market.universe,
      capital: toMoney(settings.capital),
      slippageBps,
      netted: settings.execution === 'netted',
      limits: riskLimitsFrom(settings.risk),
      pool,
      onMinute: (done) => progress.update(done),
    });
  } finally {
    progress.finish();
    await pool.close();
  }
  const report = buildReport(outcome, performance.now() - started);

  if (options.json === true) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`data: ${market.description}\n${leaderboardText(report)}`);
  if (options.out !== undefined) {
    const written = await writeTeamFiles(outcome, options.out);
    process.stderr.write(`wrote ${written.map(shownPath).join(', ')}\n`);
  }
  if (options.json !== true)
    process.stderr.write(
      `done in ${(report.durationMs / 1000).toFixed(1)} s (${Math.round(report.bars / Math.max(report.durationMs / 1000, 1e-3)).toLocaleString('en-US')} bars/s)\n`,
    );
  process.exitCode = outcome.loadFailures.length > 0 ? 1 : 0;
  return { outcome, report, data: market.description };
}
