// One supervised position in the pool: the current child process hosting a fixed set of teams,
// restarted when it dies. Operations on a slot run strictly one after another.
import { pricesToWire, toWire, type ChildMessage, type HistoryUpdate, type LoadSpec, type RunTeam, type RuntimeLimits } from '../protocol.ts';
import type { EncodedPrices, SandboxError, TeamRunResult } from '../types.ts';
import { SandboxChild, type ExitInfo, type ProgressBudget } from './sandboxChild.ts';
import type { Slot } from './slot.ts';

export interface SlotHost {
  readonly limits: RuntimeLimits;
  readonly watchdogGraceMs: number;
  readonly closing: boolean;
  /** Everything a new child needs: all the history holds. */
  history(): HistoryUpdate;
  /** What a child that has every bar up to `seq` lacks (protocol.ts: HistoryUpdate). */
  historySince(seq: number): HistoryUpdate;
  /** The spec to (re)load a team with, including its last good memory; null when it must not be loaded. */
  loadSpec(teamId: string): LoadSpec | null;
  /** The team's last good memory (restored into a fresh isolate). */
  memoryOf(teamId: string): unknown;
  teamsOnSlot(index: number): string[];
  onChildStarted(index: number, pid: number, generation: number): void;
  /** A child died; `culprit` is the team it was running or loading, if any. Returns the error for the culprit. */
  onChildDeath(index: number, pid: number, exit: ExitInfo, culprit: string | null): SandboxError;
  onLoadResult(teamId: string, error: SandboxError | null): void;
}

const READY_TIMEOUT_MS = 30_000;
/** Deaths of a child at no identifiable team within one run before the run gives up on its teams. */
const MAX_UNATTRIBUTED_DEATHS = 3;

/** An update as JSON carries it. */
function wireUpdate(update: HistoryUpdate): HistoryUpdate {
  return { entries: toWire(update.entries), ...(update.order === undefined ? {} : { order: update.order }) };
}

export function errorResult(error: SandboxError, memory: unknown): TeamRunResult {
  return { signals: [], error, logs: [], memory, cpuMs: 0, wallMs: 0 };
}

export class ProcessSlot implements Slot {
  readonly index: number;
  readonly #host: SlotHost;
  #child: SandboxChild | null = null;
  #generation = 0;
  #lock: Promise<unknown> = Promise.resolve();

  constructor(index: number, host: SlotHost) {
    this.index = index;
    this.#host = host;
  }

  get pid(): number | null {
    return this.#child?.alive === true ? this.#child.pid : null;
  }

  /** Runs `task` after every operation queued before it. */
  withLock<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#lock.then(task);
    this.#lock = result.catch(() => undefined);
    return result;
  }

  start(): Promise<void> {
    return this.withLock(async () => {
      await this.#ensureChild();
    });
  }

  load(teamId: string): Promise<SandboxError | null> {
    return this.withLock(async () => {
      const child = await this.#ensureChild();
      child.loaded.delete(teamId);
      return this.#loadOne(child, teamId);
    });
  }

  unload(teamId: string): Promise<void> {
    return this.withLock(async () => {
      const child = this.#child;
      if (child === null || !child.alive || !child.loaded.has(teamId)) return;
      child.loaded.delete(teamId);
      await child.op(
        (opId) => ({ type: 'unload', opId, teamId }),
        (message) => message.type === 'unloaded',
      );
    });
  }

  stats(): Promise<{ pid: number; rss: number; heapUsed: number; teams: number } | null> {
    return this.withLock(async () => {
      const child = this.#child;
      if (child === null || !child.alive) return null;
      let stats: { pid: number; rss: number; heapUsed: number; teams: number } | null = null;
      await child.op(
        (opId) => ({ type: 'stats', opId }),
        (message) => {
          if (message.type !== 'stats') return false;
          stats = { pid: child.pid, ...message.stats };
          return true;
        },
      );
      return stats;
    });
  }

  /** Runs the teams of one minute; teams not loaded in the current child are (re)loaded first. */
  run(minute: number, encodedPrices: EncodedPrices, teams: RunTeam[]): Promise<Map<string, TeamRunResult>> {
    // As JSON can carry it, once for every attempt of this minute.
    const prices = pricesToWire(encodedPrices);
    return this.withLock(async () => {
      const results = new Map<string, TeamRunResult>();
      const suspects = new Set<string>();
      const deaths = { unattributed: 0 };
      let remaining = teams;
      while (remaining.length > 0) {
        if (deaths.unattributed >= MAX_UNATTRIBUTED_DEATHS) {
          const message = `the sandbox process died ${deaths.unattributed} times during this minute without running a strategy to blame; it has been restarted`;
          for (const team of remaining) results.set(team.teamId, errorResult({ kind: 'crashed', message }, this.#memoryOf(team.teamId)));
          break;
        }
        let child: SandboxChild;
        try {
          child = await this.#ensureChild();
        } catch (error) {
          const message = `the sandbox process could not be started: ${error instanceof Error ? error.message : String(error)}`;
          for (const team of remaining) results.set(team.teamId, errorResult({ kind: 'crashed', message }, this.#memoryOf(team.teamId)));
          break;
        }
        const ready: RunTeam[] = [];
        for (const team of remaining) {
          if (child.loaded.has(team.teamId)) {
            ready.push(team);
            continue;
          }
          const error = this.#host.loadSpec(team.teamId) === null ? null : await this.#loadOne(child, team.teamId);
          if (error !== null) results.set(team.teamId, errorResult(error, this.#memoryOf(team.teamId)));
          else if (child.loaded.has(team.teamId)) ready.push(team);
          else results.set(team.teamId, errorResult({ kind: 'load', message: 'the strategy is not loaded' }, this.#memoryOf(team.teamId)));
          if (!child.alive) break;
        }
        if (!child.alive) {
          // The child died while (re)loading: start over with the teams still without a result.
          remaining = remaining.filter((team) => !results.has(team.teamId));
          continue;
        }
        if (ready.length === 0) break;
        remaining = await this.#runOn(child, minute, prices, ready, results, suspects, deaths);
      }
      return results;
    });
  }

  /**
   * Runs `teams` on `child` as one operation; returns the teams still to run if the child died
   * midway (their results died with it; re-running them in the fresh child with the same inputs
   * and last good memory gives the same results).
   */
  async #runOn(
    child: SandboxChild,
    minute: number,
    prices: EncodedPrices,
    teams: RunTeam[],
    results: Map<string, TeamRunResult>,
    suspects: Set<string>,
    deaths: { unattributed: number },
  ): Promise<RunTeam[]> {
    const grace = this.#host.watchdogGraceMs;
    const budget = (index: number): ProgressBudget => {
      const team = teams[index];
      if (team === undefined) return { ms: grace * 5, teamId: null, limitMs: 0 };
      const spec = this.#host.loadSpec(team.teamId);
      const cpuMs = spec?.cpuMs ?? 0;
      // The child may have to rebuild a lost isolate before the call, hence loadMs in the budget.
      return { ms: cpuMs + (spec?.loadMs ?? 0) + grace, teamId: team.teamId, limitMs: cpuMs };
    };
    let reply: TeamRunResult[] | null = null;
    let runOpId = 0;
    const outcome = await child.op(
      (opId) => {
        runOpId = opId;
        child.watchProgress(opId, Math.max(5, Math.min(100, Math.floor(grace / 4))), budget);
        return { type: 'run', opId, ...this.#unsent(child), minute, prices, teams };
      },
      (message: ChildMessage) => {
        if (message.type !== 'results') return false;
        reply = message.results;
        return true;
      },
    );
    if (outcome.died === null) {
      const received = reply as TeamRunResult[] | null;
      for (const [index, team] of teams.entries()) {
        const result = received?.[index];
        results.set(team.teamId, result ?? errorResult({ kind: 'crashed', message: 'the sandbox returned no result for this team' }, this.#memoryOf(team.teamId)));
      }
      return [];
    }
    const { progress } = outcome.died;
    const culprit = progress.opId === runOpId ? teams[progress.index] : undefined;
    if (culprit === undefined) {
      // Died before the first team or after the last one: nobody to blame, everybody runs again.
      deaths.unattributed++;
      this.#handleDeath(child, outcome.died, null);
      return teams;
    }
    // A death the watchdog did not cause may have nothing to do with the team that was running
    // (the child may have died just before the operation reached it): run that team once more
    // in the fresh child and blame it only if the child dies on it again.
    const certain = outcome.died.watchdog !== null || suspects.has(culprit.teamId);
    if (!certain) {
      suspects.add(culprit.teamId);
      this.#handleDeath(child, outcome.died, null);
      return teams;
    }
    const error = this.#handleDeath(child, outcome.died, culprit.teamId);
    results.set(culprit.teamId, errorResult(error, this.#memoryOf(culprit.teamId)));
    return teams.filter((team) => team !== culprit);
  }

  async #loadOne(child: SandboxChild, teamId: string): Promise<SandboxError | null> {
    const spec = this.#host.loadSpec(teamId);
    if (spec === null) return { kind: 'load', message: 'the strategy is not loaded' };
    let reply: Extract<ChildMessage, { type: 'loaded' }> | null = null;
    child.armWatchdog(spec.loadMs + this.#host.watchdogGraceMs, teamId, spec.loadMs);
    const outcome = await child.op(
      (opId) => ({ type: 'load', opId, ...this.#unsent(child), spec }),
      (message) => {
        if (message.type !== 'loaded') return false;
        reply = message;
        return true;
      },
    );
    if (outcome.died !== null) {
      const error = this.#handleDeath(child, outcome.died, teamId);
      this.#host.onLoadResult(teamId, error);
      return error;
    }
    const error = (reply as Extract<ChildMessage, { type: 'loaded' }> | null)?.error ?? null;
    if (error === null) child.loaded.add(teamId);
    this.#host.onLoadResult(teamId, error);
    return error;
  }

  /** What `child` has not been sent yet; marks it as sent. */
  #unsent(child: SandboxChild): HistoryUpdate {
    const update = this.#host.historySince(child.sentSeq);
    child.sentSeq = update.entries.at(-1)?.[0] ?? child.sentSeq;
    return wireUpdate(update);
  }

  async #ensureChild(): Promise<SandboxChild> {
    const current = this.#child;
    if (current !== null && current.alive) return current;
    if (current !== null) this.#handleDeath(current, await current.exited, null);
    const child = await SandboxChild.start(this.#host.limits, wireUpdate(this.#host.history()), READY_TIMEOUT_MS);
    this.#child = child;
    this.#generation++;
    this.#host.onChildStarted(this.index, child.pid, this.#generation);
    void child.exited.then(() => {
      if (this.#host.closing) return;
      // Recover under the lock so a death during an operation is handled by that operation first.
      void this.withLock(async () => {
        // The pool may have closed while this waited for the lock: starting a child now would outlive it.
        if (this.#child !== child || this.#host.closing) return;
        await this.#ensureChild();
        await this.#reloadAll();
      });
    });
    return child;
  }

  #handleDeath(child: SandboxChild, exit: ExitInfo, culprit: string | null): SandboxError {
    if (this.#child === child) this.#child = null;
    const error = this.#host.onChildDeath(this.index, child.pid, exit, culprit);
    if (!this.#host.closing) {
      // Bring the other teams back into a fresh child once the current operation is over.
      void this.withLock(async () => {
        if (this.#host.closing) return;
        await this.#ensureChild();
        await this.#reloadAll();
      }).catch(() => undefined);
    }
    return error;
  }

  async #reloadAll(): Promise<void> {
    for (const teamId of this.#host.teamsOnSlot(this.index)) {
      const child = this.#child;
      if (child === null || !child.alive || this.#host.closing) return;
      if (child.loaded.has(teamId) || this.#host.loadSpec(teamId) === null) continue;
      await this.#loadOne(child, teamId);
    }
  }

  #memoryOf(teamId: string): unknown {
    return this.#host.memoryOf(teamId);
  }

  async close(): Promise<void> {
    // Kill the current child at once (an operation waiting on it then ends), then once more under
    // the lock, after any recovery queued before the close: none may leave a child running.
    await this.#killChild();
    await this.withLock(() => this.#killChild());
  }

  async #killChild(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child === null || !child.alive) return;
    child.kill();
    await child.exited;
  }
}
