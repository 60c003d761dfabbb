// Messages between the pool (parent) and a sandbox child process. Plain JSON over the IPC channel.
import type { EncodedPrices, LogLine, Position, SandboxError, TeamRunResult } from './types.ts';

/** Values per bar in `MinuteEntry.values`: timestamp, open, high, low, close, volume. */
export const BAR_FIELDS = 6;

/**
 * The bars of one minute, numbered: `seq` increases by one per minute fed to the pool.
 * `symbols` are sorted; `values` holds BAR_FIELDS numbers per symbol, in the same order
 * (flat, so a minute of 400 symbols is two arrays rather than 400). The pool writes the values
 * into a Float64Array straight from the bars; over IPC they travel as a plain list (`toWire`).
 */
export type MinuteEntry = [seq: number, minute: number, symbols: readonly string[], values: ArrayLike<number>];

/** Entries as JSON can carry them (a Float64Array would serialise as an object). */
export function toWire(entries: readonly MinuteEntry[]): MinuteEntry[] {
  return entries.map(([seq, minute, symbols, values]) => [seq, minute, symbols, Array.isArray(values) ? values : Array.from(values)]);
}

/** Prices as JSON can carry them (see toWire). */
export function pricesToWire(prices: EncodedPrices): EncodedPrices {
  return { keys: prices.keys, values: Array.isArray(prices.values) ? prices.values : Array.from(prices.values) };
}

/** Limits that are the same for every team of a pool. */
export interface RuntimeLimits {
  windowBars: number;
  memoryCapChars: number;
  maxSignals: number;
  maxLogLines: number;
  maxLogBytes: number;
  maxReasonChars: number;
  /**
   * Growth of the sandbox process's resident memory a team's calls may cause, in MB (at least
   * twice the team's heap limit): what Intl and other objects hold outside the V8 heap.
   */
  rssGrowthMb: number;
}

export interface LoadSpec {
  teamId: string;
  code: string;
  sourceMap: string;
  filename: string;
  params: Record<string, unknown>;
  memory: unknown;
  cpuMs: number;
  memoryMb: number;
  loadMs: number;
  /** Seeds the team's Math.random (see SandboxPoolOptions.randomSecret). */
  randomKey: string;
}

export interface RunTeam {
  teamId: string;
  cash: number;
  equity: number;
  positions: Record<string, Position>;
}

/**
 * Minutes a child has not been sent yet, oldest first (see sandbox/history.ts): the minutes the pool
 * keeps whole, preceded, for a child further behind than those, by the older bars still in some
 * symbol's window, grouped by the minute they came in. `order` (every symbol in order of first
 * appearance) comes with the latter, which do not show it.
 */
export interface HistoryUpdate {
  entries: MinuteEntry[];
  order?: string[];
}

export type ParentMessage =
  | ({ type: 'init'; limits: RuntimeLimits } & HistoryUpdate)
  | ({ type: 'load'; opId: number; spec: LoadSpec } & HistoryUpdate)
  | { type: 'unload'; opId: number; teamId: string }
  /**
   * `entries`: the minutes the child has not seen yet, the current one last. The child answers
   * with one `results` message; which team it is running is visible in its progress file.
   */
  | ({ type: 'run'; opId: number; minute: number; prices: EncodedPrices; teams: RunTeam[] } & HistoryUpdate)
  | { type: 'stats'; opId: number };

export interface ChildStats {
  rss: number;
  heapUsed: number;
  teams: number;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'loaded'; opId: number; teamId: string; error: SandboxError | null; logs: LogLine[] }
  | { type: 'unloaded'; opId: number }
  /** One result per team of the `run` message, in its order. */
  | { type: 'results'; opId: number; results: TeamRunResult[] }
  | { type: 'stats'; opId: number; stats: ChildStats };
