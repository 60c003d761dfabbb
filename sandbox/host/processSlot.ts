// One supervised position in the pool: the current child process hosting a fixed set of teams,
// restarted when it dies. Operations on a slot run strictly one after another.
import type { ChildMessage, LoadSpec, MinuteEntry, RunTeam, RuntimeLimits } from '../protocol.ts';
import type { SandboxError, TeamRunResult } from '../types.ts';
import { SandboxChild, type ExitInfo } from './sandboxChild.ts';

export interface SlotHost {
  readonly limits: RuntimeLimits;
  readonly watchdogGraceMs: number;
  readonly closing: boolean;
  history(): MinuteEntry[];
  /** Minutes after `seq`, oldest first. */
  historySince(seq: number): MinuteEntry[];
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

export function errorResult(error: SandboxError, memory: unknown): TeamRunResult {
  return { signals: [], error, logs: [], memory, cpuMs: 0, wallMs: 0 };
}

export class ProcessSlot {
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
  run(minute: number, prices: Record<string, number>, teams: RunTeam[]): Promise<Map<string, TeamRunResult>> {
    return this.withLock(async () => {
      const results = new Map<string, TeamRunResult>();
      const suspects = new Set<string>();
      let remaining = teams;
      while (remaining.length > 0) {
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
        remaining = await this.#runOn(child, minute, prices, ready, results, suspects);
      }
      return results;
    });
  }

  /** Runs `teams` on `child`; returns the teams still to run if the child died midway. */
  async #runOn(
    child: SandboxChild,
    minute: number,
    prices: Record<string, number>,
    teams: RunTeam[],
    results: Map<string, TeamRunResult>,
    suspects: Set<string>,
  ): Promise<RunTeam[]> {
    let next = 0;
    const arm = (): void => {
      const team = teams[next];
      if (team === undefined) return child.armWatchdog(this.#host.watchdogGraceMs * 5, null, 0);
      const spec = this.#host.loadSpec(team.teamId);
      const cpuMs = spec?.cpuMs ?? 0;
      // The child may have to rebuild a lost isolate before the call, hence loadMs in the budget.
      child.armWatchdog(cpuMs + (spec?.loadMs ?? 0) + this.#host.watchdogGraceMs, team.teamId, cpuMs);
    };
    arm();
    const outcome = await child.op(
      (opId) => ({ type: 'run', opId, entries: this.#unsent(child), minute, prices, teams }),
      (message: ChildMessage) => {
        if (message.type === 'result') {
          results.set(message.teamId, message.result);
          next++;
          arm();
          return false;
        }
        return message.type === 'done';
      },
    );
    if (outcome.died === null) return [];
    const culprit = teams[next];
    // A death the watchdog did not cause may have nothing to do with the team that was running
    // (the child may have died just before the operation reached it): run that team once more
    // in the fresh child and blame it only if the child dies on it again.
    const certain = outcome.died.watchdog !== null || culprit === undefined || suspects.has(culprit.teamId);
    if (!certain) {
      suspects.add(culprit.teamId);
      this.#handleDeath(child, outcome.died, null);
      return teams.slice(next);
    }
    const error = this.#handleDeath(child, outcome.died, culprit?.teamId ?? null);
    if (culprit !== undefined) results.set(culprit.teamId, errorResult(error, this.#memoryOf(culprit.teamId)));
    return teams.slice(next + 1);
  }

  async #loadOne(child: SandboxChild, teamId: string): Promise<SandboxError | null> {
    const spec = this.#host.loadSpec(teamId);
    if (spec === null) return { kind: 'load', message: 'the strategy is not loaded' };
    let reply: Extract<ChildMessage, { type: 'loaded' }> | null = null;
    child.armWatchdog(spec.loadMs + this.#host.watchdogGraceMs, teamId, spec.loadMs);
    const outcome = await child.op(
      (opId) => ({ type: 'load', opId, entries: this.#unsent(child), spec }),
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

  /** The minutes `child` has not been sent yet; marks them as sent. */
  #unsent(child: SandboxChild): MinuteEntry[] {
    const entries = this.#host.historySince(child.sentSeq);
    child.sentSeq = entries.at(-1)?.[0] ?? child.sentSeq;
    return entries;
  }

  async #ensureChild(): Promise<SandboxChild> {
    const current = this.#child;
    if (current !== null && current.alive) return current;
    if (current !== null) this.#handleDeath(current, await current.exited, null);
    const child = await SandboxChild.start(this.#host.limits, this.#host.history(), READY_TIMEOUT_MS);
    this.#child = child;
    this.#generation++;
    this.#host.onChildStarted(this.index, child.pid, this.#generation);
    void child.exited.then(() => {
      if (this.#host.closing) return;
      // Recover under the lock so a death during an operation is handled by that operation first.
      void this.withLock(async () => {
        if (this.#child !== child) return;
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
    const child = this.#child;
    this.#child = null;
    if (child === null || !child.alive) return;
    child.kill();
    await child.exited;
  }
}
