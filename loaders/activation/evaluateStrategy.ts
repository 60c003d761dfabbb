import { checkStrategy, compileStrategy, StrategyCompileError, StrategyFolderError, type CompiledStrategy } from '../index.ts';
import type { SandboxError } from '../../sandbox/index.ts';
import { DEFAULT_SMOKE_MINUTES, smokeRun, type SmokeOptions } from './smokeRun.ts';

/**
 * The gate a commit passes before it may trade: static check, bundle, smoke run. Every "no" is
 * an answer for the team (which stage, what exactly); only broken infrastructure throws.
 */

export type Stage = 'export' | 'check' | 'compile' | 'smoke';

/** One problem shown to the team; static-check findings and compile errors share this shape. */
export interface VersionFinding {
  file: string | null;
  line: number;
  column: number;
  rule: string;
  message: string;
  hint?: string;
}

/** Milliseconds per stage; absent stages did not run. */
export type StageTimings = Partial<Record<'fetch' | 'export' | 'check' | 'compile' | 'smoke' | 'total', number>>;

export type Evaluation =
  | { ok: true; compiled: CompiledStrategy; timings: StageTimings; smoke: { calls: number; signals: number } }
  | { ok: false; stage: Stage; findings: VersionFinding[]; error: string | null; timings: StageTimings };

export interface EvaluateOptions extends Omit<SmokeOptions, 'teamId'> {
  teamId: string;
  entry?: string;
}

async function timed<T>(timings: StageTimings, stage: keyof StageTimings, work: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work();
  } finally {
    timings[stage] = Math.round(performance.now() - started);
  }
}

/** How a sandbox failure reads for the team. */
export function describeSmokeFailure(error: SandboxError, call: number | null, calls: number): string {
  const when = call === null ? 'while loading the strategy (evaluating it and running its constructor)' : `in generateSignal, call ${call + 1} of ${calls} on sample bars`;
  const what = {
    runtime: 'threw an error',
    timeout: 'ran out of time',
    memory: 'ran out of memory',
    crashed: 'crashed the sandbox',
    'invalid-result': 'returned an invalid result',
    load: 'failed to load',
    quarantined: 'was quarantined',
  }[error.kind];
  return `smoke run: the strategy ${what} ${when}: ${error.message}${error.stack ? `\n${error.stack}` : ''}`;
}

export async function evaluateStrategy(dir: string, options: EvaluateOptions): Promise<Evaluation> {
  const timings: StageTimings = {};
  const entryOption = options.entry === undefined ? {} : { entry: options.entry };

  let report;
  try {
    report = await timed(timings, 'check', () => checkStrategy(dir, entryOption));
  } catch (error) {
    if (!(error instanceof StrategyFolderError)) throw error;
    return { ok: false, stage: 'check', findings: [], error: error.message, timings };
  }
  if (!report.ok) return { ok: false, stage: 'check', findings: report.errors.map((finding) => ({ ...finding })), error: null, timings };

  let compiled: CompiledStrategy;
  try {
    compiled = await timed(timings, 'compile', () => compileStrategy(dir, entryOption));
  } catch (error) {
    if (!(error instanceof StrategyCompileError || error instanceof StrategyFolderError)) throw error;
    const findings = error instanceof StrategyCompileError ? error.problems.map((problem) => ({ ...problem, rule: 'compile' })) : [];
    return { ok: false, stage: 'compile', findings, error: error.message, timings };
  }

  const smoke = await timed(timings, 'smoke', () => smokeRun(compiled, options));
  if (!smoke.ok) {
    return { ok: false, stage: 'smoke', findings: [], error: describeSmokeFailure(smoke.error, smoke.call, options.minutes ?? DEFAULT_SMOKE_MINUTES), timings };
  }
  return { ok: true, compiled, timings, smoke: { calls: smoke.calls, signals: smoke.signals } };
}
