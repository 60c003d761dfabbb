// What the pool needs from a place that hosts isolates: a supervised child process
// (ProcessSlot) or the calling process itself (LocalSlot, the in-process mode).
import type { RunTeam } from '../protocol.ts';
import type { EncodedPrices, SandboxError, TeamRunResult } from '../types.ts';

export interface SlotStats {
  pid: number;
  rss: number;
  heapUsed: number;
  teams: number;
}

export interface Slot {
  readonly index: number;
  start(): Promise<void>;
  /** (Re)loads a team from the host's load spec; null when it loaded. */
  load(teamId: string): Promise<SandboxError | null>;
  unload(teamId: string): Promise<void>;
  stats(): Promise<SlotStats | null>;
  /** Runs the teams of one minute (whose bars the host's history already holds). */
  run(minute: number, prices: EncodedPrices, teams: RunTeam[]): Promise<Map<string, TeamRunResult>>;
  close(): Promise<void>;
}
