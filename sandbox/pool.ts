// The public face of the sandbox: a pool of supervised child processes, each hosting the
// isolates of a stable, balanced share of the teams.
import { createHmac } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { CrashLedger } from './host/crashLedger.ts';
import { LocalSlot } from './host/localSlot.ts';
import { ProcessSlot, errorResult, type SlotHost } from './host/processSlot.ts';
import type { Slot } from './host/slot.ts';
import type { ExitInfo } from './host/sandboxChild.ts';
import { BarHistory } from './history.ts';
import { BAR_FIELDS, type HistoryUpdate, type LoadSpec, type MinuteEntry, type RunTeam, type RuntimeLimits } from './protocol.ts';
import type {
  Bar,
  CompiledStrategy,
  EncodedBars,
  EncodedPrices,
  LoadOutcome,
  LoadRequest,
  MinuteInput,
  QuarantineEntry,
  SandboxError,
  SandboxEvent,
  SandboxPoolOptions,
  TeamRunResult,
  TeamState,
  TeamStatus,
} from './types.ts';

interface TeamRecord {
  teamId: string;
  slot: number;
  strategy: CompiledStrategy;
  params: Record<string, unknown>;
  cpuMs: number;
  memoryMb: number;
  memory: unknown;
  state: TeamState;
  reason: string | null;
  lastError: SandboxError | null;
  quarantinedAt: number | null;
}

interface ResolvedOptions {
  mode: 'processes' | 'in-process';
  processes: number;
  cpuMs: number;
  loadMs: number;
  memoryMb: number;
  watchdogGraceMs: number;
  quarantineAfterCrashes: number;
  quarantineWindowMs: number;
  limits: RuntimeLimits;
  randomSecret: string;
  logger: (event: SandboxEvent) => void;
}

export interface ProcessStats {
  process: number;
  pid: number;
  rss: number;
  heapUsed: number;
  teams: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) throw new RangeError(`SandboxPool: ${name} must be a positive integer, got ${String(value)}`);
  return value;
}

function resolveOptions(options: SandboxPoolOptions): ResolvedOptions {
  const mode = options.mode ?? 'processes';
  if (mode !== 'processes' && mode !== 'in-process') throw new RangeError(`SandboxPool: mode must be 'processes' or 'in-process', got ${String(mode)}`);
  return {
    mode,
    // In-process there is one host, the calling process.
    processes: mode === 'in-process' ? 1 : positiveInteger('processes', options.processes, Math.min(2, availableParallelism())),
    cpuMs: positiveInteger('cpuMs', options.cpuMs, 200),
    loadMs: positiveInteger('loadMs', options.loadMs, 1000),
    memoryMb: Math.max(8, positiveInteger('memoryMb', options.memoryMb, 64)),
    watchdogGraceMs: positiveInteger('watchdogGraceMs', options.watchdogGraceMs, 1000),
    quarantineAfterCrashes: positiveInteger('quarantineAfterCrashes', options.quarantineAfterCrashes, 3),
    quarantineWindowMs: positiveInteger('quarantineWindowMs', options.quarantineWindowMs, 60 * 60 * 1000),
    limits: {
      windowBars: positiveInteger('windowBars', options.windowBars, 1200),
      memoryCapChars: positiveInteger('memoryCapBytes', options.memoryCapBytes, 64 * 1024),
      maxSignals: positiveInteger('maxSignals', options.maxSignals, 50),
      maxLogLines: positiveInteger('maxLogLines', options.maxLogLines, 50),
      maxLogBytes: positiveInteger('maxLogBytes', options.maxLogBytes, 8192),
      maxReasonChars: 1000,
      rssGrowthMb: positiveInteger('rssGrowthMb', options.rssGrowthMb, 128),
    },
    randomSecret: options.randomSecret ?? '',
    logger: options.logger ?? (() => undefined),
  };
}

/** The seed key of a team's Math.random: its id offline, an HMAC of it under the competition's secret otherwise. */
export function randomKeyOf(secret: string, teamId: string): string {
  return secret === '' ? teamId : createHmac('sha256', secret).update(teamId).digest('hex');
}

/** A short, human explanation of how a child process ended. */
export function describeExit(exit: Pick<ExitInfo, 'code' | 'signal' | 'stderrTail' | 'watchdog'>): string {
  const fatal = /(FATAL ERROR:[^\n]*|Fatal (?:process )?[^\n]*out of memory[^\n]*|[^\n]*heap out of memory[^\n]*)/i.exec(exit.stderrTail)?.[1]?.trim();
  const how = exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${String(exit.code)}`;
  const likelyMemory = fatal !== undefined || exit.signal === 'SIGABRT' || exit.signal === 'SIGTRAP' || exit.code === 134 || exit.code === 133;
  return `${how}${fatal !== undefined ? `: ${fatal.slice(0, 200)}` : likelyMemory ? ', out of memory?' : ''}`;
}

/**
 * Keys in sorted order; callers usually hand them in that order already, which a scan confirms.
 * Consecutive minutes nearly always have the same keys: when they equal `previous` element by
 * element (the same interned strings, so mostly pointer comparisons), that list is reused.
 */
function sortedKeys(record: object, previous: readonly string[]): readonly string[] {
  const keys = Object.keys(record);
  let same = keys.length === previous.length;
  for (let i = 0; same && i < keys.length; i++) same = keys[i] === previous[i];
  if (same) return previous;
  for (let i = 1; i < keys.length; i++) if ((keys[i - 1] ?? '') > (keys[i] ?? '')) return keys.sort();
  return keys;
}

/** The fields of a bar in their encoded order (BAR_FIELDS of them). */
const BAR_FIELD_NAMES = ['timestamp', 'open', 'high', 'low', 'close', 'volume'] as const;

function assertFiniteNumber(what: string, value: unknown): asserts value is number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(`runMinute: ${what} must be a finite number, got ${String(value)}`);
}

function pricesOf(record: Readonly<Record<string, number>>): EncodedPrices {
  const keys = Object.keys(record);
  // A plain list: what a child process is sent as it is.
  const values: number[] = [];
  for (let i = 0; i < keys.length; i++) {
    const symbol = keys[i] ?? '';
    const price = record[symbol];
    assertFiniteNumber(`prices.${symbol}`, price);
    values[i] = price;
  }
  return { keys, values };
}

/** The prices record of a minute given without encodedPrices (a JavaScript caller may have left out both). */
function recordOrThrow(prices: Readonly<Record<string, number>> | undefined): Readonly<Record<string, number>> {
  if (prices === null || typeof prices !== 'object') throw new TypeError('runMinute: the minute has no prices: give prices (a record) or encodedPrices');
  return prices;
}

function checkedPrices(prices: EncodedPrices): EncodedPrices {
  const { keys, values } = prices;
  if (!Array.isArray(keys) || keys.length !== values.length) throw new RangeError(`runMinute: encodedPrices hold ${values.length} values for ${String(keys.length)} symbols`);
  for (let i = 0; i < values.length; i++) {
    const price = values[i];
    // The message (a string per price) only for the culprit.
    if (typeof price !== 'number' || !Number.isFinite(price)) assertFiniteNumber(`prices.${keys[i] ?? ''}`, price);
  }
  return prices;
}

export class SandboxPool {
  readonly #options: ResolvedOptions;
  readonly #history: BarHistory<string, MinuteEntry>;
  readonly #teams = new Map<string, TeamRecord>();
  readonly #ledger: CrashLedger;
  readonly #slots: Slot[];
  /** Teams per slot, kept as teams come and go: a new team goes to the least loaded slot. */
  readonly #teamsPerSlot: number[];
  #started = false;
  #closing = false;
  #lastMinute = -Infinity;
  #lastBarKeys: readonly string[] = [];

  constructor(options: SandboxPoolOptions = {}) {
    this.#options = resolveOptions(options);
    this.#history = new BarHistory<string, MinuteEntry>(this.#options.limits.windowBars, this.#options.limits.windowBars);
    this.#ledger = new CrashLedger(this.#options.quarantineAfterCrashes, this.#options.quarantineWindowMs);
    const host = this.#slotHost();
    this.#slots = Array.from({ length: this.#options.processes }, (_, index) => (this.#options.mode === 'in-process' ? new LocalSlot(index, host) : new ProcessSlot(index, host)));
    this.#teamsPerSlot = this.#slots.map(() => 0);
  }

  /** Starts every sandbox child process. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await Promise.all(this.#slots.map((slot) => slot.start()));
  }

  /**
   * Loads (or replaces) a team's strategy in its isolate. Loading again clears a quarantine.
   * Resolves `{ ok: false, error }` with kind 'load' when the script does not evaluate, has no
   * default export class, or its constructor throws; 'timeout'/'memory'/'crashed' likewise.
   */
  async load(request: LoadRequest): Promise<LoadOutcome> {
    this.#assertOpen();
    const { teamId, strategy } = request;
    if (typeof teamId !== 'string' || teamId === '') throw new TypeError('load: teamId must be a non-empty string');
    if (typeof strategy?.code !== 'string' || typeof strategy.filename !== 'string' || typeof strategy.sourceMap !== 'string') {
      throw new TypeError('load: strategy must be a CompiledStrategy { code, sourceMap, filename }');
    }
    const existing = this.#teams.get(teamId);
    const record: TeamRecord = {
      teamId,
      slot: existing?.slot ?? this.#leastLoadedSlot(),
      strategy,
      params: request.params ?? {},
      cpuMs: positiveInteger('cpuMs', request.cpuMs, this.#options.cpuMs),
      memoryMb: Math.max(8, positiveInteger('memoryMb', request.memoryMb, this.#options.memoryMb)),
      memory: request.memory ?? existing?.memory ?? {},
      state: 'pending',
      reason: null,
      lastError: null,
      quarantinedAt: null,
    };
    this.#teams.set(teamId, record);
    if (existing === undefined) this.#teamsPerSlot[record.slot]! += 1;
    this.#ledger.clear(teamId);
    const slot = this.#slotOf(record);
    const error = await slot.load(teamId);
    return error === null ? { ok: true } : { ok: false, error };
  }

  /**
   * Runs one minute for the given teams: all processes in parallel, the teams of one process one
   * after another. Every listed team gets a result; failures are in `result.error`.
   */
  async runMinute(input: MinuteInput): Promise<Map<string, TeamRunResult>> {
    this.#assertOpen();
    const prices = this.#appendMinute(input);
    const results = new Map<string, TeamRunResult>();
    const perSlot = new Map<number, RunTeam[]>();
    for (const team of input.teams) {
      if (results.has(team.teamId)) throw new TypeError(`runMinute: team ${team.teamId} is listed twice`);
      const record = this.#teams.get(team.teamId);
      if (record === undefined) {
        results.set(team.teamId, errorResult({ kind: 'load', message: `team ${team.teamId} has no strategy loaded in the sandbox` }, {}));
        continue;
      }
      if (record.state === 'quarantined' || record.state === 'failed') {
        const error =
          record.state === 'quarantined'
            ? { kind: 'quarantined' as const, message: record.reason ?? 'quarantined' }
            : (record.lastError ?? { kind: 'load' as const, message: record.reason ?? 'the strategy failed to load' });
        results.set(team.teamId, errorResult(error, record.memory));
        continue;
      }
      const list = perSlot.get(record.slot) ?? [];
      list.push({ teamId: team.teamId, cash: team.cash, equity: team.equity, positions: team.positions });
      perSlot.set(record.slot, list);
      results.set(team.teamId, errorResult({ kind: 'crashed', message: 'the sandbox returned no result for this team' }, record.memory)); // replaced below; keeps input order
    }
    const batches = await Promise.all(
      [...perSlot].map(([index, teams]) => {
        const slot = this.#slots[index];
        if (slot === undefined) throw new Error(`unreachable: slot ${index} missing`);
        return slot.run(input.minute, prices, teams);
      }),
    );
    for (const batch of batches) {
      for (const [teamId, result] of batch) {
        results.set(teamId, result);
        const record = this.#teams.get(teamId);
        if (record === undefined) continue;
        if (result.error === null) record.memory = result.memory;
        record.lastError = result.error;
        if (result.strike !== undefined) this.#strike(record, result.strike);
      }
    }
    return results;
  }

  status(teamId: string): TeamStatus | null {
    const record = this.#teams.get(teamId);
    if (record === undefined) return null;
    return {
      teamId,
      state: record.state,
      process: record.slot,
      recentCrashes: this.#ledger.count(teamId, Date.now()),
      reason: record.reason,
      lastError: record.lastError,
    };
  }

  quarantined(): QuarantineEntry[] {
    const out: QuarantineEntry[] = [];
    for (const record of this.#teams.values()) {
      if (record.state === 'quarantined') out.push({ teamId: record.teamId, reason: record.reason ?? 'quarantined', since: record.quarantinedAt ?? 0 });
    }
    return out;
  }

  /** Removes a team and disposes its isolate. */
  async unload(teamId: string): Promise<void> {
    const record = this.#teams.get(teamId);
    if (record === undefined) return;
    this.#teams.delete(teamId);
    this.#teamsPerSlot[record.slot]! -= 1;
    this.#ledger.clear(teamId);
    await this.#slotOf(record).unload(teamId);
  }

  /**
   * Before the first minute: the symbols in the order they first came. A pool started after they came,
   * and fed only each symbol's last bars (server/tick/windowSeed.ts), would otherwise order them by
   * those, unlike a pool that ran all along; symbols not listed follow as they come.
   */
  seedOrder(symbols: readonly string[]): void {
    this.#assertOpen();
    if (this.#history.lastSeq > 0) throw new Error('seedOrder: the pool has been given minutes already');
    if (!Array.isArray(symbols) || !symbols.every((symbol) => typeof symbol === 'string')) throw new TypeError('seedOrder: symbols must be an array of strings');
    this.#history.adoptOrder(symbols);
  }

  /** Memory of every child process (for monitoring and the benchmark). */
  async processStats(): Promise<ProcessStats[]> {
    const stats = await Promise.all(this.#slots.map((slot) => slot.stats()));
    return stats.flatMap((s, process) => (s === null ? [] : [{ process, ...s }]));
  }

  /** Stops every child process; the pool cannot be used afterwards. */
  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.#slots.map((slot) => slot.close()));
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error('SandboxPool is closed');
    if (!this.#started) throw new Error('SandboxPool: call start() first');
  }

  /** Stores the minute's bars; its prices, checked, as lists. */
  #appendMinute(input: MinuteInput): EncodedPrices {
    assertFiniteNumber('minute', input.minute);
    if (input.minute <= this.#lastMinute) {
      throw new RangeError(`runMinute: minutes must increase; got ${new Date(input.minute).toISOString()} after ${new Date(this.#lastMinute).toISOString()}`);
    }
    const { symbols, values } = input.encoded === undefined ? this.#encode(input.bars) : this.#checked(input.encoded);
    const prices = input.encodedPrices !== undefined ? checkedPrices(input.encodedPrices) : pricesOf(recordOrThrow(input.prices));
    this.#lastMinute = input.minute;
    const entry: MinuteEntry = [this.#history.lastSeq + 1, input.minute, symbols, values];
    this.#history.append(entry);
    return prices;
  }

  /** The minute is encoded once, here, straight from the bars: every host copies these values. */
  #encode(bars: Record<string, Bar>): { symbols: readonly string[]; values: Float64Array } {
    const keys = sortedKeys(bars, this.#lastBarKeys);
    this.#lastBarKeys = keys;
    const values = new Float64Array(keys.length * BAR_FIELDS);
    let count = 0;
    for (const symbol of keys) {
      const bar = bars[symbol];
      if (bar === undefined) continue;
      const { timestamp, open, high, low, close, volume } = bar;
      // One test for the common case; the per-field check only to name the culprit.
      if (!Number.isFinite(timestamp + open + high + low + close + volume)) {
        for (const field of BAR_FIELD_NAMES) assertFiniteNumber(`bars.${symbol}.${field}`, bar[field]);
      }
      const at = count * BAR_FIELDS;
      values[at] = timestamp;
      values[at + 1] = open;
      values[at + 2] = high;
      values[at + 3] = low;
      values[at + 4] = close;
      values[at + 5] = volume;
      count++;
    }
    // A key whose value is undefined has no bar (rare): the list without it, and the values cut to size.
    if (count === keys.length) return { symbols: keys, values };
    return { symbols: keys.filter((symbol) => bars[symbol] !== undefined), values: values.subarray(0, count * BAR_FIELDS) };
  }

  /** The caller's encoding, held to what #encode would have produced: sorted symbols, finite values. */
  #checked(encoded: EncodedBars): EncodedBars {
    const { symbols, values } = encoded;
    if (values.length !== symbols.length * BAR_FIELDS) throw new RangeError(`runMinute: encoded bars hold ${values.length} values for ${symbols.length} symbols`);
    // Consecutive minutes nearly always hand the same list: its order was checked when it first came.
    if (symbols !== this.#lastBarKeys) {
      for (let i = 1; i < symbols.length; i++) {
        if (!((symbols[i - 1] ?? '') < (symbols[i] ?? ''))) throw new RangeError(`runMinute: encoded bars' symbols must be sorted and distinct (${symbols[i - 1]}, ${symbols[i]})`);
      }
      this.#lastBarKeys = symbols;
    }
    for (let at = 0; at < values.length; at += BAR_FIELDS) {
      // One test for the common case; the per-field check only to name the culprit.
      if (Number.isFinite((values[at] ?? NaN) + (values[at + 1] ?? NaN) + (values[at + 2] ?? NaN) + (values[at + 3] ?? NaN) + (values[at + 4] ?? NaN) + (values[at + 5] ?? NaN)))
        continue;
      const symbol = symbols[at / BAR_FIELDS] ?? '';
      BAR_FIELD_NAMES.forEach((field, f) => assertFiniteNumber(`bars.${symbol}.${field}`, values[at + f]));
    }
    return encoded;
  }

  #leastLoadedSlot(): number {
    const counts = this.#teamsPerSlot;
    let best = 0;
    for (let i = 1; i < counts.length; i++) if ((counts[i] ?? 0) < (counts[best] ?? 0)) best = i;
    return best;
  }

  #slotOf(record: TeamRecord): Slot {
    const slot = this.#slots[record.slot];
    if (slot === undefined) throw new Error(`unreachable: slot ${record.slot} missing`);
    return slot;
  }

  #spec(record: TeamRecord): LoadSpec {
    return {
      teamId: record.teamId,
      code: record.strategy.code,
      sourceMap: record.strategy.sourceMap,
      filename: record.strategy.filename,
      params: record.params,
      memory: record.memory,
      cpuMs: record.cpuMs,
      memoryMb: record.memoryMb,
      loadMs: this.#options.loadMs,
      randomKey: randomKeyOf(this.#options.randomSecret, record.teamId),
    };
  }

  /** Counts a discarded isolate like a process death toward the team's quarantine. */
  #strike(record: TeamRecord, reason: string): void {
    if (this.#closing) return;
    const { count, limitReached } = this.#ledger.record(record.teamId, Date.now());
    if (limitReached && record.state !== 'quarantined') {
      const minutes = Math.round(this.#options.quarantineWindowMs / 60_000);
      this.#quarantine(record, `quarantined: ${count} strikes within ${minutes} min (last: ${reason}); load the strategy again to release it`);
    }
  }

  #quarantine(record: TeamRecord, reason: string): void {
    record.state = 'quarantined';
    record.reason = reason;
    record.quarantinedAt = Date.now();
    this.#options.logger({ type: 'team-quarantined', teamId: record.teamId, reason });
    void this.#slotOf(record).unload(record.teamId);
  }

  /**
   * What a holder of every bar up to `seq` lacks: the minutes after it alone when they are all it
   * lacks (the usual case: the last minute), else the older bars too and the order of first appearance.
   */
  #historyUpdate(seq: number): HistoryUpdate {
    const history = this.#history;
    if (history.covers(seq)) return { entries: history.since(seq) };
    return { entries: history.entriesSince(seq), order: [...history.order] };
  }

  #slotHost(): SlotHost {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the host object is a view on this pool
    const pool = this;
    const options = this.#options;
    return {
      limits: options.limits,
      watchdogGraceMs: options.watchdogGraceMs,
      get closing() {
        return pool.#closing;
      },
      history: () => pool.#historyUpdate(0),
      historySince: (seq) => pool.#historyUpdate(seq),
      loadSpec: (teamId) => {
        const record = pool.#teams.get(teamId);
        if (record === undefined || record.state === 'quarantined' || record.state === 'failed') return null;
        return pool.#spec(record);
      },
      memoryOf: (teamId) => pool.#teams.get(teamId)?.memory ?? {},
      teamsOnSlot: (index) => [...pool.#teams.values()].filter((record) => record.slot === index).map((record) => record.teamId),
      onChildStarted: (index, pid, generation) => options.logger({ type: 'child-started', process: index, pid, generation }),
      onChildDeath: (index, pid, exit, culprit) => {
        const reason = describeExit(exit);
        options.logger({ type: 'child-exited', process: index, pid, code: exit.code, signal: exit.signal, reason, culprit });
        if (exit.watchdog !== null) options.logger({ type: 'watchdog-kill', process: index, pid, teamId: exit.watchdog.teamId ?? '', limitMs: exit.watchdog.limitMs });
        const error: SandboxError =
          exit.watchdog !== null
            ? {
                kind: 'timeout',
                message: `the strategy did not return within its ${exit.watchdog.limitMs} ms limit and could not be interrupted; its sandbox process was killed and restarted`,
              }
            : { kind: 'crashed', message: `the sandbox process hosting this team died (${reason}) while running this strategy; it has been restarted` };
        const record = culprit === null ? undefined : pool.#teams.get(culprit);
        if (record !== undefined && !pool.#closing) {
          const { count, limitReached } = pool.#ledger.record(record.teamId, Date.now());
          if (limitReached && record.state !== 'quarantined') {
            const minutes = Math.round(options.quarantineWindowMs / 60_000);
            pool.#quarantine(
              record,
              `quarantined: implicated in ${count} sandbox process deaths within ${minutes} min (last: ${error.message}); load the strategy again to release it`,
            );
          }
        }
        return error;
      },
      onLoadResult: (teamId, error) => {
        const record = pool.#teams.get(teamId);
        if (record === undefined || record.state === 'quarantined') return;
        options.logger({ type: 'team-reloaded', teamId, process: record.slot, ok: error === null });
        record.lastError = error;
        if (error === null) {
          record.state = 'loaded';
          record.reason = null;
        } else if (error.kind === 'load' || error.kind === 'timeout' || error.kind === 'memory') {
          record.state = 'failed';
          record.reason = error.message;
        }
      },
    };
  }
}
