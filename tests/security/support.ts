// Harness for the sandbox attack tests: a pool with one well-behaved canary team per child
// process and a baseline pool running the canaries alone on the same minutes. Every step checks
// that each canary's result with the attacker present equals its result alone.
import { expect } from 'vitest';
import { SandboxPool, type SandboxPoolOptions, type TeamRunResult } from '../../sandbox/index.ts';
import { CANARY, minute, team } from '../unit/sandbox/helpers.ts';

export const CANARIES = ['canary-0', 'canary-1'];
/**
 * The CPU limit is wall time on the isolate's thread: a canary gets a generous one so that a
 * loaded machine never cuts its call, and any difference from the baseline is the attacker's doing.
 */
export const CANARY_CPU_MS = 10_000;

function comparable(result: TeamRunResult | undefined): unknown {
  if (result === undefined) return undefined;
  const { signals, error, logs, memory } = result;
  return { signals, error, logs, memory };
}

export class AttackBench {
  readonly pool: SandboxPool;
  readonly baseline: SandboxPool;
  #next = 0;

  constructor(options: SandboxPoolOptions = {}) {
    this.pool = new SandboxPool({ processes: 2, ...options });
    const { logger: _logger, ...baselineOptions } = options;
    this.baseline = new SandboxPool({ processes: 1, ...baselineOptions });
  }

  async start(): Promise<void> {
    await Promise.all([this.pool.start(), this.baseline.start()]);
    for (const id of CANARIES) {
      expect(await this.pool.load({ teamId: id, strategy: CANARY, params: { size: 2 }, cpuMs: CANARY_CPU_MS })).toEqual({ ok: true });
      expect(await this.baseline.load({ teamId: id, strategy: CANARY, params: { size: 2 }, cpuMs: CANARY_CPU_MS })).toEqual({ ok: true });
    }
    expect(CANARIES.map((id) => this.pool.status(id)?.process)).toEqual([0, 1]);
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.close(), this.baseline.close()]);
  }

  /**
   * Runs one minute with the attackers listed first (so a canary sharing their process runs after
   * any crash), checks the canaries against the baseline, and returns the attackers' results.
   */
  async step(...attackers: string[]): Promise<Map<string, TeamRunResult>> {
    const index = this.#next++;
    const [results, alone] = await Promise.all([
      this.pool.runMinute(minute(index, [...attackers, ...CANARIES].map(team))),
      this.baseline.runMinute(minute(index, CANARIES.map(team))),
    ]);
    for (const id of CANARIES) {
      expect(results.get(id)?.error ?? null, `${id} at minute ${index}`).toBeNull();
      expect(comparable(results.get(id)), `${id} at minute ${index}`).toEqual(comparable(alone.get(id)));
    }
    return results;
  }
}

export function resultOf(results: Map<string, TeamRunResult>, teamId: string): TeamRunResult {
  const result = results.get(teamId);
  if (result === undefined) throw new Error(`no result for ${teamId}`);
  return result;
}
