// The in-process mode: the isolates live in the calling process, one per team as in a child
// process, with the same runtime, limits and results, minus the IPC. Nothing supervises the
// process: a strategy that aborts V8 (one huge allocation can, whatever the isolate's limit)
// takes the calling process down with it. Meant for offline runs of one's own strategies
// (`qtc backtest`), never for the live server.
import { TeamHost } from '../child/teamHost.ts';
import type { RunTeam } from '../protocol.ts';
import type { EncodedPrices, SandboxError, TeamRunResult } from '../types.ts';
import type { SlotHost } from './processSlot.ts';
import type { Slot, SlotStats } from './slot.ts';

export class LocalSlot implements Slot {
  readonly index: number;
  readonly #host: SlotHost;
  #teams: TeamHost | null = null;

  constructor(index: number, host: SlotHost) {
    this.index = index;
    this.#host = host;
  }

  start(): Promise<void> {
    this.#started();
    return Promise.resolve();
  }

  load(teamId: string): Promise<SandboxError | null> {
    const teams = this.#started();
    const spec = this.#host.loadSpec(teamId);
    if (spec === null) return Promise.resolve({ kind: 'load', message: 'the strategy is not loaded' });
    this.#catchUp(teams);
    const { error } = teams.load(spec);
    this.#host.onLoadResult(teamId, error);
    return Promise.resolve(error);
  }

  unload(teamId: string): Promise<void> {
    this.#teams?.unload(teamId);
    return Promise.resolve();
  }

  stats(): Promise<SlotStats | null> {
    return Promise.resolve(this.#teams === null ? null : { pid: process.pid, ...this.#teams.stats() });
  }

  run(minute: number, prices: EncodedPrices, teams: RunTeam[]): Promise<Map<string, TeamRunResult>> {
    const host = this.#started();
    this.#catchUp(host);
    const list = host.runBatch(minute, prices, teams);
    const results = new Map<string, TeamRunResult>();
    for (const [index, team] of teams.entries()) {
      const result = list[index];
      if (result !== undefined) results.set(team.teamId, result);
    }
    return Promise.resolve(results);
  }

  close(): Promise<void> {
    this.#teams?.dispose();
    this.#teams = null;
    return Promise.resolve();
  }

  #started(): TeamHost {
    if (this.#teams === null) {
      this.#teams = new TeamHost(this.#host.limits);
      const { entries, order } = this.#host.history();
      this.#teams.append(entries, order);
    }
    return this.#teams;
  }

  #catchUp(teams: TeamHost): void {
    const { entries, order } = this.#host.historySince(teams.lastSeq);
    teams.append(entries, order);
  }
}
