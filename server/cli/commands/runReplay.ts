// `qtc run`, loaded only when the command is used: it brings the sandbox (isolated-vm) with it.
import path from 'node:path';
import { formatMinute } from '../../../data/market/bar.ts';
import { readBarsCsv } from '../../../data/market/csvBars.ts';
import { replayMinutes } from '../../../data/market/replay.ts';
import { checkStrategy, compileStrategy } from '../../../loaders/index.ts';
import { SandboxPool } from '../../../sandbox/index.ts';
import { replayStrategies, uniqueNames, type LoadFailure, type MinuteOutcome, type OfflineStrategy } from '../../offline/replayRun.ts';
import { checkReportText } from './check.ts';

export interface RunCommandOptions {
  data: string;
  json?: boolean;
  skipStaticCheck?: boolean;
  allSessions?: boolean;
  params?: string;
  cpuMs?: string;
}

export class UsageError extends Error {}

function parseParams(raw: string | undefined): Record<string, unknown> {
  if (raw === undefined) return {};
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new UsageError(`--params must be a JSON object, e.g. '{"fast":10}' (got ${raw})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new UsageError('--params must be a JSON object');
  return value as Record<string, unknown>;
}

function parseCpuMs(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > 10_000) throw new UsageError(`--cpu-ms must be an integer between 1 and 10000 (got ${raw})`);
  return value;
}

/** The `--json` line: exactly the documented fields, one object per minute and strategy. */
export function outcomeJson(outcome: MinuteOutcome): string {
  const error = outcome.error ? { kind: outcome.error.kind, message: outcome.error.message } : null;
  return JSON.stringify({ minute: formatMinute(outcome.minute), strategy: outcome.strategy, signals: outcome.signals, error, cpuMs: round(outcome.cpuMs) });
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

/** Human output: only what happened (signals, errors, console lines); quiet minutes stay quiet. */
export function outcomeText(outcome: MinuteOutcome): string[] {
  const prefix = `${formatMinute(outcome.minute)}  ${outcome.strategy}`;
  const lines = outcome.logs.map((log) => `${prefix}  console.${log.level}: ${log.message}`);
  for (const s of outcome.signals) {
    const price = s.price === undefined ? 'at market' : `limit ${s.price}`;
    lines.push(`${prefix}  ${s.action.toUpperCase()} ${s.quantity} ${s.symbol} ${price}${s.reason ? `  (${s.reason})` : ''}`);
  }
  if (outcome.error) {
    lines.push(`${prefix}  ERROR ${outcome.error.kind}: ${outcome.error.message}`);
    if (outcome.error.stack)
      lines.push(
        ...outcome.error.stack
          .split('\n')
          .slice(1, 4)
          .map((frame) => `      ${frame.trim()}`),
      );
  }
  return lines;
}

interface Tally {
  minutes: number;
  signals: number;
  errors: number;
  cpu: number[];
}

function summaryText(tallies: Map<string, Tally>, failures: LoadFailure[]): string {
  const lines = ['', 'summary:'];
  for (const [name, t] of tallies) {
    const sorted = [...t.cpu].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    const max = sorted[sorted.length - 1] ?? 0;
    lines.push(`  ${name}: ${t.minutes} minutes, ${t.signals} signals, ${t.errors} errors, cpu median ${median.toFixed(3)} ms, max ${max.toFixed(3)} ms`);
  }
  for (const failure of failures) lines.push(`  ${failure.strategy}: did not load (${failure.error.kind}: ${failure.error.message})`);
  return `${lines.join('\n')}\n`;
}

interface Prepared {
  strategies: OfflineStrategy[];
  /** Strategies that could not be compiled: reported like a failed load, the others still run. */
  failures: LoadFailure[];
}

async function prepare(dirs: string[], options: RunCommandOptions, params: Record<string, unknown>): Promise<Prepared | undefined> {
  const names = uniqueNames(dirs.map((dir) => path.basename(path.resolve(dir))));
  const strategies: OfflineStrategy[] = [];
  const failures: LoadFailure[] = [];
  let rejected = false;
  for (const [index, dir] of dirs.entries()) {
    if (options.skipStaticCheck !== true) {
      const report = await checkStrategy(dir);
      if (!report.ok) {
        process.stderr.write(checkReportText(report, dir));
        rejected = true;
        continue;
      }
    }
    try {
      strategies.push({ name: names[index]!, compiled: await compileStrategy(dir), params });
    } catch (error) {
      const message = `the strategy could not be compiled: ${error instanceof Error ? error.message : String(error)}`;
      failures.push({ strategy: names[index]!, error: { kind: 'load', message } });
    }
  }
  if (rejected) {
    process.stderr.write('qtc: not running: fix the findings above (qtc check <dir>), or pass --skip-static-check to test the sandbox on its own\n');
    return undefined;
  }
  return { strategies, failures };
}

export async function runReplay(dirs: string[], options: RunCommandOptions): Promise<void> {
  const params = parseParams(options.params);
  const cpuMs = parseCpuMs(options.cpuMs);
  const prepared = await prepare(dirs, options, params);
  if (!prepared) {
    process.exitCode = 1;
    return;
  }
  const { strategies } = prepared;
  const minutes = replayMinutes(await readBarsCsv(options.data), { sessions: options.allSessions === true ? 'all' : 'regular' });

  const pool = new SandboxPool({ processes: Math.max(1, Math.min(2, strategies.length)), ...(cpuMs === undefined ? {} : { cpuMs }) });
  await pool.start();
  const failures: LoadFailure[] = [];
  const reportFailure = (failure: LoadFailure): void => {
    failures.push(failure);
    const line =
      options.json === true
        ? JSON.stringify({ minute: null, strategy: failure.strategy, signals: [], error: { kind: failure.error.kind, message: failure.error.message }, cpuMs: 0 })
        : `${failure.strategy}  did not load: ${failure.error.kind}: ${failure.error.message}`;
    process.stdout.write(`${line}\n`);
  };
  prepared.failures.forEach(reportFailure);
  const tallies = new Map<string, Tally>();
  let anyError = false;
  try {
    const outcomes = replayStrategies(pool, strategies, minutes, reportFailure);
    for await (const outcome of outcomes) {
      const tally = tallies.get(outcome.strategy) ?? { minutes: 0, signals: 0, errors: 0, cpu: [] };
      tally.minutes += 1;
      tally.signals += outcome.signals.length;
      tally.errors += outcome.error ? 1 : 0;
      tally.cpu.push(outcome.cpuMs);
      tallies.set(outcome.strategy, tally);
      anyError ||= outcome.error !== null;
      if (options.json === true) process.stdout.write(`${outcomeJson(outcome)}\n`);
      else for (const line of outcomeText(outcome)) process.stdout.write(`${line}\n`);
    }
  } finally {
    await pool.close();
  }
  if (options.json !== true) process.stdout.write(summaryText(tallies, failures));
  else process.stderr.write(summaryText(tallies, failures));
  if (minutes.length === 0) process.stderr.write(`qtc: ${options.data} has no ${options.allSessions === true ? '' : 'regular-session '}bars to replay\n`);
  process.exitCode = failures.length > 0 || anyError ? 1 : 0;
}
