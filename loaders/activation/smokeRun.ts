import { SandboxPool, type CompiledStrategy, type SandboxError, type SandboxPoolOptions } from '../../sandbox/index.ts';
import { sampleMinutes } from './sampleBars.ts';

/**
 * Loads a compiled strategy in a sandbox of its own and calls it on sample minutes: it must load
 * and answer every call without an error or a timeout. A fresh one-process pool per run keeps a
 * hostile strategy away from the live teams and makes the run independent of earlier ones.
 *
 * Signals are judged one by one, as in a backtest and live: an entry the sandbox reports as malformed
 * (`TeamRunResult.invalidSignals`) is counted in `rejectedSignals`, not held against the commit.
 */

export interface SmokeOptions {
  teamId: string;
  params: Record<string, unknown>;
  universe: readonly string[];
  startingCash: number;
  cpuMs: number;
  memoryMb: number;
  /** Minutes of sample bars; default 30. */
  minutes?: number;
  /** Extra pool options (watchdog, load time). */
  pool?: Omit<SandboxPoolOptions, 'processes' | 'cpuMs' | 'memoryMb'>;
}

export type SmokeResult =
  | { ok: true; calls: number; signals: number; rejectedSignals: number }
  | { ok: false; error: SandboxError; /** Index of the failing call; null when loading failed. */ call: number | null };

export const DEFAULT_SMOKE_MINUTES = 30;

export async function smokeRun(strategy: CompiledStrategy, options: SmokeOptions): Promise<SmokeResult> {
  const pool = new SandboxPool({ ...options.pool, processes: 1, cpuMs: options.cpuMs, memoryMb: options.memoryMb });
  await pool.start();
  try {
    const loaded = await pool.load({ teamId: options.teamId, strategy, params: options.params, cpuMs: options.cpuMs, memoryMb: options.memoryMb });
    if (!loaded.ok) return { ok: false, error: loaded.error, call: null };
    let signals = 0;
    let rejectedSignals = 0;
    const minutes = sampleMinutes(options.universe, options.minutes ?? DEFAULT_SMOKE_MINUTES);
    for (const [call, { minute, bars, prices }] of minutes.entries()) {
      const results = await pool.runMinute({
        minute,
        bars,
        prices,
        teams: [{ teamId: options.teamId, cash: options.startingCash, equity: options.startingCash, positions: {} }],
      });
      const result = results.get(options.teamId);
      if (result === undefined) return { ok: false, error: { kind: 'crashed', message: 'the sandbox returned no result' }, call };
      if (result.error !== null) return { ok: false, error: result.error, call };
      signals += result.signals.length;
      // Reported by the sandbox when it judges the entries one by one (TeamRunResult.invalidSignals).
      rejectedSignals += (result as { invalidSignals?: readonly unknown[] }).invalidSignals?.length ?? 0;
    }
    return { ok: true, calls: minutes.length, signals, rejectedSignals };
  } finally {
    await pool.close();
  }
}
