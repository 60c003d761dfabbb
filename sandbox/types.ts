// Public types of the sandbox: what callers hand in and what they get back.
// Everything here is plain JSON-compatible data so it can cross process boundaries.

/** Output of `loaders/compile` (see the agreed contract): one classic IIFE script plus its source map. */
export interface CompiledStrategy {
  /** Classic script; after evaluation `globalThis.__qtcStrategy.default` is the strategy class. */
  code: string;
  /** JSON source map v3 (sources relative to the strategy folder, sourcesContent included); '' when none. */
  sourceMap: string;
  /** Name the script is compiled under, e.g. "strategy.bundle.js"; stack frames carry it. */
  filename: string;
}

export interface Bar {
  /** Epoch milliseconds of the bar start. */
  timestamp: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export interface Position {
  quantity: number;
  avgCost: number;
}

export interface Signal {
  symbol: string;
  action: 'buy' | 'sell';
  quantity: number;
  price?: number;
  confidence?: number;
  reason?: string;
}

export type SandboxErrorKind = 'runtime' | 'timeout' | 'memory' | 'crashed' | 'invalid-result' | 'load' | 'quarantined';

export interface SandboxError {
  kind: SandboxErrorKind;
  message: string;
  /** Stack with frames mapped to the author's files when a source map is available. */
  stack?: string;
}

export type LogLevel = 'log' | 'info' | 'warn' | 'error' | 'debug';

export interface LogLine {
  level: LogLevel;
  message: string;
}

/** A returned entry that is not a valid signal: its 0-based position in the list and why (signals numbered from 1). */
export interface InvalidSignal {
  index: number;
  message: string;
}

export interface TeamRunResult {
  /** The valid signals, in the order returned. */
  signals: Signal[];
  /** The entries that were not valid signals; the others are in `signals`. */
  invalidSignals?: InvalidSignal[];
  error: SandboxError | null;
  logs: LogLine[];
  /** team.memory after the call; the last good memory when the call failed. */
  memory: unknown;
  /** CPU time the isolate spent on this call (0 when it never ran). */
  cpuMs: number;
  /** Wall time of the call as seen by the sandbox process. */
  wallMs: number;
  /**
   * Set when the host discarded the team's isolate for something that counts toward quarantine
   * like a process death (memory grown outside the V8 heap); the reason.
   */
  strike?: string;
}

/** The state of one team's portfolio as the strategy sees it this minute. */
export interface TeamMinuteState {
  teamId: string;
  cash: number;
  equity: number;
  positions: Record<string, Position>;
}

interface MinuteInputCommon {
  /** Epoch ms of the minute (bar start); strictly increasing across calls. `Date.now()` inside the isolate returns it. */
  minute: number;
  /** Teams to run this minute; each must have been loaded. */
  teams: TeamMinuteState[];
}

/**
 * The minute's prices, handed to the strategy as `currentPrices`: a record, or the same as two lists in
 * the record's key order (`EncodedPrices`), which a caller that keeps them anyway (the minute engine)
 * gives instead. The pool then neither lists a record (~30 µs a minute at 400 symbols) nor needs one
 * built. Given both, the lists are read.
 */
type MinutePricesInput = { prices: Record<string, number>; encodedPrices?: EncodedPrices } | { prices?: undefined; encodedPrices: EncodedPrices };

/** A minute's bars come as a record, or already encoded (the minute engine's one encoding, stored as it is). */
type MinuteBarsInput =
  | {
      /** Only the new bar of each symbol for this minute. */
      bars: Record<string, Bar>;
      encoded?: undefined;
    }
  | { bars?: undefined; encoded: EncodedBars };

export type MinuteInput = MinuteInputCommon & MinutePricesInput & MinuteBarsInput;

/**
 * One minute's bars as the sandbox stores them: the symbols sorted (plain string order), and six
 * numbers per symbol in that order (timestamp, open, high, low, close, volume). The pool keeps both
 * arrays in its history: the caller never writes to them again (the same `symbols` array may be
 * handed again for later minutes; its order is checked the first time).
 */
export interface EncodedBars {
  symbols: readonly string[];
  values: Float64Array;
}

/**
 * A prices record as lists: its keys in their order, and the price of each. The values are read
 * during the call only; a keys list is never written once handed (a new list when the keys change).
 */
export interface EncodedPrices {
  keys: readonly string[];
  values: ArrayLike<number>;
}

export interface LoadRequest {
  teamId: string;
  strategy: CompiledStrategy;
  params?: Record<string, unknown>;
  /** Restored team.memory (e.g. from the database after a server restart). */
  memory?: unknown;
  /** Per-team CPU limit per call, overriding the pool default. */
  cpuMs?: number;
  /** Per-team isolate heap limit, overriding the pool default. */
  memoryMb?: number;
}

export type LoadOutcome = { ok: true } | { ok: false; error: SandboxError };

export type TeamState = 'loaded' | 'pending' | 'failed' | 'quarantined';

export interface TeamStatus {
  teamId: string;
  state: TeamState;
  /** Index of the sandbox process slot hosting the team. */
  process: number;
  /** Child deaths this team was implicated in within the quarantine window. */
  recentCrashes: number;
  /** Why the team is quarantined or failed to load; null otherwise. */
  reason: string | null;
  lastError: SandboxError | null;
}

export interface QuarantineEntry {
  teamId: string;
  reason: string;
  since: number;
}

export type SandboxEvent =
  | { type: 'child-started'; process: number; pid: number; generation: number }
  | { type: 'child-exited'; process: number; pid: number; code: number | null; signal: string | null; reason: string; culprit: string | null }
  | { type: 'watchdog-kill'; process: number; pid: number; teamId: string; limitMs: number }
  | { type: 'team-quarantined'; teamId: string; reason: string }
  | { type: 'team-reloaded'; teamId: string; process: number; ok: boolean };

export interface SandboxPoolOptions {
  /**
   * 'processes' (default): isolates live in supervised child processes; a strategy that aborts
   * V8 costs only its child, which is restarted. 'in-process': isolates live in the calling
   * process (same runtime and limits, no IPC, much faster for backtests); nothing can restart it,
   * so a V8 abort ends the caller. For offline runs of one's own strategies only.
   */
  mode?: 'processes' | 'in-process';
  /** Number of sandbox child processes; default min(2, number of CPUs). Ignored in-process. */
  processes?: number;
  /** CPU limit per strategy call in ms; default 200. */
  cpuMs?: number;
  /** Time allowed to evaluate the strategy script and run its constructor; default 1000 ms. */
  loadMs?: number;
  /** Isolate heap limit in MB; default 64. */
  memoryMb?: number;
  /** Extra time the host watchdog waits beyond a limit before killing the child; default 1000 ms. */
  watchdogGraceMs?: number;
  /** Child deaths within `quarantineWindowMs` after which a team is quarantined; default 3. */
  quarantineAfterCrashes?: number;
  /** Default 1 hour. */
  quarantineWindowMs?: number;
  /** Bars kept per symbol inside each isolate; default 1200 (about three trading days). */
  windowBars?: number;
  /** Serialized team.memory cap in bytes; default 65536. */
  memoryCapBytes?: number;
  /** Signals accepted per call; default 50. */
  maxSignals?: number;
  /** console lines kept per call; default 50. */
  maxLogLines?: number;
  /** console bytes kept per call; default 8192. */
  maxLogBytes?: number;
  /**
   * Resident memory of its sandbox process a team's calls may add (heap included), in MB; default
   * 128, and never less than twice the team's heap limit. Over it the isolate is discarded and
   * rebuilt, and the team gets a strike toward quarantine.
   */
  rssGrowthMb?: number;
  logger?: (event: SandboxEvent) => void;
  /**
   * Secret of the competition from which each team's Math.random seed is derived
   * (HMAC-SHA256 of the team id): without it a team's stream follows from its id and the minute,
   * so any team could compute another's. Default '' (offline runs: the seed is the team id).
   */
  randomSecret?: string;
}
