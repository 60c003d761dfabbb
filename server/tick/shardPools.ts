/**
 * The warm sandboxes of one worker: one `SandboxPool` per shard the worker has recently run, holding
 * the isolates of that shard's teams. A pool is fed every minute of bars in order (minutes other
 * workers ran come from the stored ticks), so an isolate sees the same bar window whichever worker ran
 * the minutes before; a team is (re)loaded with its `team.memory` from Postgres whenever its last run
 * was not this pool's (another worker ran it, or this worker lost a race for it). A new pool, or one
 * that missed more than a window's worth of stored minutes (and is then replaced by a new one), is fed
 * each symbol's last bars and the order the symbols came in (windowSeed.ts).
 */
import type { Bar } from '../../data/market/bar.ts';
import {
  SandboxPool,
  type CompiledStrategy,
  type SandboxPoolOptions,
  type TeamMinuteState,
  type TeamRunResult,
  type Bar as SandboxBar,
  type ProcessStats,
  type QuarantineEntry,
} from '../../sandbox/index.ts';
import type { StoredBars } from './barsSnapshot.ts';
import type { HistoryMinute } from './tickStore.ts';
import { debutOrder, olderBarsWanted, type OlderBarsWanted, type StoredMinuteBars, type SymbolDebut } from './windowSeed.ts';

export interface TeamSpec {
  teamId: string;
  versionId: number;
  params: Record<string, unknown>;
  cpuMs: number;
  memoryMb: number;
}

/** What a pool needs from storage, injected so the pool logic stays testable. */
export interface ShardPoolStore {
  /** Stored minutes strictly between `after` and `before` (the newest `limit`), oldest first. */
  history(after: number, before: number, limit: number): Promise<HistoryMinute[]>;
  /** Every symbol with a bar stored before `before`, with the minute of its first bar. */
  symbolDebuts(before: number): Promise<SymbolDebut[]>;
  /** Each wanted symbol's last `count` bars stored before `before`, grouped by minute, oldest first. */
  barsBefore(wanted: readonly OlderBarsWanted[], before: number): Promise<StoredMinuteBars[]>;
  /** The latest minute before `before` each team has a stored run for (absent: never ran). */
  lastRuns(teamIds: readonly string[], before: number): Promise<Map<string, number>>;
  bundles(versionIds: readonly number[]): Promise<Map<number, CompiledStrategy>>;
  memories(teamIds: readonly string[]): Promise<Map<string, Record<string, unknown>>>;
}

export interface ShardRunOutcome {
  results: Map<string, TeamRunResult>;
  /** Teams (re)loaded for this run, with the team.memory they were loaded with (recorded for replay). */
  loaded: ReadonlyMap<string, Record<string, unknown>>;
  loadMs: number;
  runMs: number;
}

interface LoadedTeam {
  spec: TeamSpec;
  /** The last minute this pool ran the team (its isolate's memory is from then). */
  lastRun: number | null;
}

/** A stored minute's bars as the sandbox takes them. */
export const sandboxBars = (minute: number, bars: StoredBars): Record<string, SandboxBar> => {
  const out: Record<string, SandboxBar> = {};
  for (const [symbol, [open, high, low, close, volume]] of Object.entries(bars)) out[symbol] = { timestamp: minute, open, high, low, close, volume };
  return out;
};

const sameSpec = (a: TeamSpec, b: TeamSpec): boolean =>
  a.versionId === b.versionId && a.cpuMs === b.cpuMs && a.memoryMb === b.memoryMb && JSON.stringify(a.params) === JSON.stringify(b.params);

export class ShardPool {
  #sandbox: SandboxPool;
  readonly #createSandbox: () => Promise<SandboxPool>;
  readonly #store: ShardPoolStore;
  readonly #windowBars: number;
  readonly #teams = new Map<string, LoadedTeam>();
  /** The last minute appended to the pool's bar history. */
  #lastMinute = -Infinity;
  #lastResults: { minute: number; results: Map<string, TeamRunResult>; loaded: ReadonlyMap<string, Record<string, unknown>> } | null = null;
  /** Runs of one pool happen one at a time (two jobs of one shard in one worker wait for each other). */
  #queue: Promise<unknown> = Promise.resolve();
  lastUsed = Date.now();

  private constructor(sandbox: SandboxPool, createSandbox: () => Promise<SandboxPool>, store: ShardPoolStore, windowBars: number) {
    this.#sandbox = sandbox;
    this.#createSandbox = createSandbox;
    this.#store = store;
    this.#windowBars = windowBars;
  }

  /** A pool whose sandboxes `createSandbox` makes (started): one now, another if this one falls a window behind. */
  static async open(createSandbox: () => Promise<SandboxPool>, store: ShardPoolStore, windowBars: number): Promise<ShardPool> {
    return new ShardPool(await createSandbox(), createSandbox, store, windowBars);
  }

  /** The sandbox pool in use. */
  get pool(): SandboxPool {
    return this.#sandbox;
  }

  get lastMinute(): number {
    return this.#lastMinute;
  }

  /**
   * Runs the teams on the minute's bars. A team this pool already ran for this minute (a retried job
   * in the same worker) gets its first result again: a sandbox never runs one minute twice.
   */
  run(
    minute: number,
    bars: ReadonlyMap<string, Bar>,
    prices: Record<string, number>,
    teams: readonly TeamSpec[],
    states: ReadonlyMap<string, TeamMinuteState>,
  ): Promise<ShardRunOutcome> {
    const next = this.#queue.then(() => this.#run(minute, bars, prices, teams, states));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #run(
    minute: number,
    bars: ReadonlyMap<string, Bar>,
    prices: Record<string, number>,
    teams: readonly TeamSpec[],
    states: ReadonlyMap<string, TeamMinuteState>,
  ): Promise<ShardRunOutcome> {
    this.lastUsed = Date.now();
    if (minute === this.#lastMinute && this.#lastResults?.minute === minute) {
      const cached = this.#lastResults.results;
      const results = new Map<string, TeamRunResult>();
      for (const team of teams) results.set(team.teamId, cached.get(team.teamId) ?? notRunAgain(minute));
      return { results, loaded: this.#lastResults.loaded, loadMs: 0, runMs: 0 };
    }
    if (minute <= this.#lastMinute) {
      const results = new Map(teams.map((team) => [team.teamId, outOfOrder(minute, this.#lastMinute)] as const));
      return { results, loaded: new Map(), loadMs: 0, runMs: 0 };
    }
    const loadStarted = performance.now();
    await this.#catchUp(minute);
    const loaded = await this.#load(minute, teams);
    const loadMs = performance.now() - loadStarted;

    const input: Record<string, SandboxBar> = {};
    for (const [symbol, bar] of bars) input[symbol] = { timestamp: bar.timestamp, open: bar.open, high: bar.high, low: bar.low, close: bar.close, volume: bar.volume };
    const runStarted = performance.now();
    const results = await this.#sandbox.runMinute({
      minute,
      bars: input,
      prices,
      teams: teams.map((team) => states.get(team.teamId) ?? { teamId: team.teamId, cash: 0, equity: 0, positions: {} }),
    });
    const runMs = performance.now() - runStarted;
    this.#lastMinute = minute;
    this.#lastResults = { minute, results, loaded };
    for (const team of teams) {
      const loaded = this.#teams.get(team.teamId);
      if (loaded !== undefined) loaded.lastRun = minute;
    }
    return { results, loaded, loadMs, runMs };
  }

  /** Another worker's run of the team was kept: its isolate's memory is not the stored one any more. */
  forget(teamId: string): void {
    const loaded = this.#teams.get(teamId);
    if (loaded !== undefined) loaded.lastRun = null;
  }

  async close(): Promise<void> {
    await this.#sandbox.close();
  }

  /**
   * Appends the stored minutes this pool has not seen, without running anyone. More than a window's
   * worth of them (the shard ran elsewhere that long) would leave a gap in a sparse symbol's window
   * between its bars held here and the newest minutes: the pool is then replaced by a new one, whose
   * teams would all have been reloaded anyway (their last runs were elsewhere).
   */
  async #catchUp(minute: number): Promise<void> {
    const missed = await this.#store.history(this.#lastMinute, minute, this.#windowBars + 1);
    if (missed.length > this.#windowBars && this.#lastMinute !== -Infinity) await this.#renew();
    if (this.#lastMinute === -Infinity) {
      await this.#seed(minute, missed.slice(-this.#windowBars));
      return;
    }
    for (const entry of missed) await this.#append(entry.minute, entry.bars, entry.prices);
  }

  /** Feeds a new pool what one that ran from the first stored minute holds before `minute` (windowSeed.ts). */
  async #seed(minute: number, recent: readonly HistoryMinute[]): Promise<void> {
    if (recent.length === 0) return;
    const debuts = await this.#store.symbolDebuts(minute);
    const wanted = olderBarsWanted(debuts, recent, this.#windowBars);
    const older = wanted.length === 0 ? [] : await this.#store.barsBefore(wanted, recent[0]?.minute ?? minute);
    this.#sandbox.seedOrder(debutOrder(debuts));
    // The older minutes carry only the bars still in some window; their prices are not needed (nobody runs).
    for (const entry of older) await this.#append(entry.minute, entry.bars, {});
    for (const entry of recent) await this.#append(entry.minute, entry.bars, entry.prices);
  }

  async #append(minute: number, bars: StoredBars, prices: Record<string, number>): Promise<void> {
    if (minute <= this.#lastMinute) return;
    await this.#sandbox.runMinute({ minute, bars: sandboxBars(minute, bars), prices, teams: [] });
    this.#lastMinute = minute;
  }

  /** Replaces the sandbox pool by a new one, with no team and no minute. */
  async #renew(): Promise<void> {
    const old = this.#sandbox;
    this.#sandbox = await this.#createSandbox();
    this.#teams.clear();
    this.#lastMinute = -Infinity;
    this.#lastResults = null;
    await old.close();
  }

  async #load(minute: number, teams: readonly TeamSpec[]): Promise<Map<string, Record<string, unknown>>> {
    const wanted = new Set(teams.map((team) => team.teamId));
    for (const teamId of [...this.#teams.keys()]) {
      if (!wanted.has(teamId)) {
        this.#teams.delete(teamId);
        await this.#sandbox.unload(teamId);
      }
    }
    const lastRuns = await this.#store.lastRuns([...wanted], minute);
    const stale = teams.filter((team) => {
      const loaded = this.#teams.get(team.teamId);
      if (loaded === undefined || !sameSpec(loaded.spec, team)) return true;
      return (lastRuns.get(team.teamId) ?? null) !== loaded.lastRun;
    });
    const loaded = new Map<string, Record<string, unknown>>();
    if (stale.length === 0) return loaded;
    const [bundles, memories] = await Promise.all([this.#store.bundles([...new Set(stale.map((team) => team.versionId))]), this.#store.memories(stale.map((team) => team.teamId))]);
    for (const team of stale) {
      const strategy = bundles.get(team.versionId);
      if (strategy === undefined) {
        await this.#sandbox.unload(team.teamId);
        this.#teams.delete(team.teamId);
        continue;
      }
      // A failed load is remembered by the pool: runMinute reports it as the team's error.
      const memory = memories.get(team.teamId) ?? {};
      await this.#sandbox.load({ teamId: team.teamId, strategy, params: team.params, memory, cpuMs: team.cpuMs, memoryMb: team.memoryMb });
      this.#teams.set(team.teamId, { spec: team, lastRun: lastRuns.get(team.teamId) ?? null });
      loaded.set(team.teamId, memory);
    }
    return loaded;
  }
}

function notRunAgain(minute: number): TeamRunResult {
  return {
    signals: [],
    error: { kind: 'load', message: `not run: this worker had already run ${new Date(minute).toISOString()} without this team, and a sandbox never runs a minute twice` },
    logs: [],
    memory: {},
    cpuMs: 0,
    wallMs: 0,
  };
}

function outOfOrder(minute: number, last: number): TeamRunResult {
  return {
    signals: [],
    error: { kind: 'load', message: `not run: minute ${new Date(minute).toISOString()} arrived after ${new Date(last).toISOString()} in this worker` },
    logs: [],
    memory: {},
    cpuMs: 0,
    wallMs: 0,
  };
}

export interface ShardHealth {
  /** `<shards>:<shard>`. */
  shard: string;
  processes: ProcessStats[];
  quarantined: QuarantineEntry[];
}

export interface ShardPoolsOptions {
  store: ShardPoolStore;
  /** Options of each pool (processes, limits, logger). */
  poolOptions: SandboxPoolOptions;
  /** A pool not used for this long is closed (its shard went to other workers). */
  idleCloseMs: number;
}

/** One pool per shard key (`<shards>:<shard>`), created on first use. */
export class ShardPools {
  readonly #pools = new Map<string, Promise<ShardPool>>();
  readonly #options: ShardPoolsOptions;
  #closed = false;

  constructor(options: ShardPoolsOptions) {
    this.#options = options;
  }

  async get(shard: number, shards: number): Promise<ShardPool> {
    if (this.#closed) throw new Error('the worker is shutting down');
    await this.#closeIdle(`${String(shards)}:${String(shard)}`);
    const key = `${String(shards)}:${String(shard)}`;
    let pool = this.#pools.get(key);
    if (pool === undefined) {
      const createSandbox = async (): Promise<SandboxPool> => {
        const sandbox = new SandboxPool(this.#options.poolOptions);
        await sandbox.start();
        return sandbox;
      };
      pool = ShardPool.open(createSandbox, this.#options.store, this.#options.poolOptions.windowBars ?? 1200);
      this.#pools.set(key, pool);
      pool.catch(() => this.#pools.delete(key));
    }
    return pool;
  }

  get size(): number {
    return this.#pools.size;
  }

  /** The sandbox processes and quarantines of every pool this worker holds, by shard key. */
  async health(): Promise<ShardHealth[]> {
    const out: ShardHealth[] = [];
    for (const [shard, promise] of [...this.#pools]) {
      const pool = await promise.catch(() => null);
      if (pool === null) continue;
      out.push({ shard, processes: await pool.pool.processStats(), quarantined: pool.pool.quarantined() });
    }
    return out;
  }

  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map(async (pool) => (await pool.catch(() => null))?.close()));
  }

  async #closeIdle(keep: string): Promise<void> {
    const now = Date.now();
    for (const [key, promise] of [...this.#pools]) {
      if (key === keep) continue;
      const pool = await promise.catch(() => null);
      if (pool !== null && now - pool.lastUsed > this.#options.idleCloseMs) {
        this.#pools.delete(key);
        await pool.close();
      }
    }
  }
}
