/**
 * The replay's strategy host: one sandbox pool fed every recorded minute's bars in order (as a worker's
 * pool is, directly or by catching up on stored minutes), whose teams are (re)loaded at the minutes the
 * live pools loaded them, with the memory they were loaded with. What a strategy keeps in its own fields
 * lives until a load, so these minutes are part of the season's inputs (tick_team_loads).
 */
import type { Bar } from '../../data/market/bar.ts';
import type { CompiledStrategy, Bar as SandboxBar, SandboxPool, TeamMinuteState, TeamRunResult } from '../../sandbox/index.ts';
import type { TeamSpec } from '../tick/shardPools.ts';

const sameSpec = (a: TeamSpec, b: TeamSpec): boolean =>
  a.versionId === b.versionId && a.cpuMs === b.cpuMs && a.memoryMb === b.memoryMb && JSON.stringify(a.params) === JSON.stringify(b.params);

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export interface HostMinute {
  minute: number;
  bars: ReadonlyMap<string, Bar>;
  prices: Readonly<Record<string, number>>;
  teams: readonly TeamSpec[];
  states: ReadonlyMap<string, TeamMinuteState>;
  /**
   * The recorded loads of the minute (team → memory loaded); null for a minute recorded before loads were
   * kept, where the worker's own rule is followed: load a team not loaded or whose spec changed.
   */
  loads: ReadonlyMap<string, Record<string, unknown>> | null;
}

export class ReplayHost {
  readonly #pool: SandboxPool;
  readonly #bundles: ReadonlyMap<number, CompiledStrategy>;
  readonly #loaded = new Map<string, TeamSpec>();
  /** team.memory as the live tick stored it after each run (what a load without a record would read). */
  readonly #memory = new Map<string, Record<string, unknown>>();

  constructor(pool: SandboxPool, bundles: ReadonlyMap<number, CompiledStrategy>) {
    this.#pool = pool;
    this.#bundles = bundles;
  }

  async run(input: HostMinute): Promise<Map<string, TeamRunResult>> {
    const bars: Record<string, SandboxBar> = {};
    for (const [symbol, bar] of input.bars) bars[symbol] = { timestamp: bar.timestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume };
    if (input.teams.length > 0) await this.#load(input);
    const results = await this.#pool.runMinute({
      minute: input.minute,
      bars,
      prices: { ...input.prices },
      teams: input.teams.map((team) => input.states.get(team.teamId) ?? { teamId: team.teamId, cash: 0, equity: 0, positions: {} }),
    });
    for (const [teamId, result] of results) {
      const memory = result.memory ?? {};
      if (isPlainObject(memory)) this.#memory.set(teamId, memory);
    }
    return results;
  }

  async #load(input: HostMinute): Promise<void> {
    if (input.loads === null) {
      // The worker's pool drops the teams it is not asked to run.
      const wanted = new Set(input.teams.map((team) => team.teamId));
      for (const teamId of [...this.#loaded.keys()]) {
        if (wanted.has(teamId)) continue;
        this.#loaded.delete(teamId);
        await this.#pool.unload(teamId);
      }
    }
    for (const team of input.teams) {
      const recorded = input.loads?.get(team.teamId);
      const loaded = this.#loaded.get(team.teamId);
      const due = recorded !== undefined || loaded === undefined || (input.loads === null && !sameSpec(loaded, team));
      if (!due) continue;
      const strategy = this.#bundles.get(team.versionId);
      if (strategy === undefined) {
        await this.#pool.unload(team.teamId);
        this.#loaded.delete(team.teamId);
        continue;
      }
      await this.#pool.load({
        teamId: team.teamId,
        strategy,
        params: team.params,
        memory: recorded ?? this.#memory.get(team.teamId) ?? {},
        cpuMs: team.cpuMs,
        memoryMb: team.memoryMb,
      });
      this.#loaded.set(team.teamId, team);
    }
  }
}
