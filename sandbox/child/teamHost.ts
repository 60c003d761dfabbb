// The isolates of a set of teams and the bar history they are fed from. Lives in a sandbox child
// process (child/main.ts) or, in the pool's in-process mode, in the caller's process. Everything
// here is synchronous: a batch of teams runs one after another on the calling thread.
import ivm from 'isolated-vm';
import { BarHistory } from '../history.ts';
import { BAR_FIELDS, type LoadSpec, type MinuteEntry, type RunTeam, type RuntimeLimits } from '../protocol.ts';
import type { EncodedPrices, LogLine, SandboxError, TeamRunResult } from '../types.ts';
import { encodeMinute, encodePayload, encodePrices, encodeWindows, IndexCache, pricesAsJson, SymbolTable, type EncodedMinute } from './payload.ts';
import { HostWindows } from './hostWindows.ts';
import { RssProbe } from './rssProbe.ts';
import { runtimeSource } from './runtimeSource.ts';
import { MinuteSeeds } from './seed.ts';
import { CHANNEL_MAX_NUMBERS, TeamIsolate, type PreludeSource } from './teamIsolate.ts';

interface HostedTeam {
  spec: LoadSpec;
  isolate: TeamIsolate | null;
  /** Last minute seq the isolate has been given. */
  seenSeq: number;
  /** Symbol names the isolate knows (a prefix of the host's table). */
  knownNames: number;
  /** Last good team.memory, restored into a rebuilt isolate. */
  memory: unknown;
  /** Its Math.random seed per minute, the key's part hashed once. */
  seeds: MinuteSeeds;
  /**
   * Net growth of the process's resident memory over this isolate's calls, in bytes. A call runs
   * alone on this thread, so what the process gained during it is (up to noise) the isolate's:
   * its heap and what it holds outside the heap (Intl/ICU objects), which no V8 limit bounds.
   */
  rssGrowth: number;
}

export interface HostStats {
  rss: number;
  heapUsed: number;
  teams: number;
}

/**
 * One buffer handed out again and again (grown as needed) for numbers that are used up before the
 * next request; a request over `maxLength` gets an array of its own, whose buffer is its alone.
 */
class Scratch {
  #buffer = new Float64Array(0);
  readonly #maxLength: number;

  constructor(maxLength: number) {
    this.#maxLength = maxLength;
  }

  readonly numbersFor = (length: number): Float64Array => {
    if (length > this.#maxLength) return new Float64Array(length);
    if (this.#buffer.length < length) this.#buffer = new Float64Array(Math.max(length, 2 * this.#buffer.length));
    return this.#buffer.subarray(0, length);
  };
}

/** Creates a prelude source whose code cache is shared by every isolate built from it. */
export function loadPrelude(): PreludeSource {
  return { code: runtimeSource(), cachedData: undefined };
}

export class TeamHost {
  readonly #limits: RuntimeLimits;
  readonly #prelude: PreludeSource;
  readonly #teams = new Map<string, HostedTeam>();
  readonly #symbols = new SymbolTable();
  readonly #barSymbols = new IndexCache(this.#symbols);
  readonly #priceSymbols = new IndexCache(this.#symbols);
  readonly #history: BarHistory<number, EncodedMinute>;
  readonly #windows: HostWindows;
  readonly #rss = new RssProbe();
  /** Reused every batch for the minute's prices and its first payload (see Scratch). */
  readonly #priceScratch = new Scratch(Number.MAX_SAFE_INTEGER);
  readonly #payloadScratch = new Scratch(CHANNEL_MAX_NUMBERS);
  /**
   * The reading taken just after the last call of this batch, while nothing but the batch's loop has
   * run since (null otherwise): it is also the next team's reading before its call. Between two
   * calls the host does only small bookkeeping; a new batch, building a payload or an isolate, or
   * disposing one takes a fresh reading. (A read costs ~2 µs, a call ~30.)
   */
  #rssAfterLastCall: number | null = null;

  constructor(limits: RuntimeLimits, prelude: PreludeSource = loadPrelude()) {
    this.#limits = limits;
    this.#prelude = prelude;
    this.#history = new BarHistory<number, EncodedMinute>(limits.windowBars, limits.windowBars);
    this.#windows = new HostWindows(limits.windowBars, this.#history);
  }

  get lastSeq(): number {
    return this.#history.lastSeq;
  }

  /**
   * Adds minutes to the history (ones already known are ignored), and with them the pool's order of
   * first appearance when it comes along (protocol.ts: HistoryUpdate).
   */
  append(entries: readonly MinuteEntry[], order?: readonly string[]): void {
    if (order !== undefined) this.#history.adoptOrder(order.map((name) => this.#symbols.indexOf(name)));
    for (const entry of entries) {
      if (entry[0] <= this.#history.lastSeq) continue;
      const encoded = encodeMinute(entry, this.#barSymbols);
      this.#history.append(encoded);
      this.#windows.append(encoded[2], encoded[3]);
    }
  }

  /** (Re)creates a team's isolate; on failure the team is not kept. */
  load(spec: LoadSpec): { error: SandboxError | null; logs: LogLine[] } {
    this.unload(spec.teamId);
    const team: HostedTeam = { spec, isolate: null, seenSeq: 0, knownNames: 0, memory: spec.memory ?? {}, seeds: new MinuteSeeds(spec.randomKey), rssGrowth: 0 };
    const built = this.#build(team);
    if (!built.ok) return { error: built.result.error, logs: built.result.logs };
    this.#teams.set(spec.teamId, team);
    return { error: null, logs: [] };
  }

  unload(teamId: string): void {
    this.#teams.get(teamId)?.isolate?.dispose();
    this.#teams.delete(teamId);
  }

  /**
   * Runs the teams one after another on `minute` (whose bars must have been appended).
   * `onTeam(i)` is called just before team i runs, and with `teams.length` after the last.
   */
  runBatch(minute: number, prices: EncodedPrices, states: readonly RunTeam[], onTeam?: (index: number) => void): TeamRunResult[] {
    const priceData = encodePrices(prices, this.#priceSymbols, this.#priceScratch.numbersFor);
    const pricesJson = pricesAsJson(prices, states.length);
    // One payload per distinct "last minute seen" (nearly always a single one): written into each
    // team's channel, or, too large for one, copied into each isolate.
    const payloads = new Map<number, Float64Array | ivm.ExternalCopy<ArrayBuffer>>();
    const namesJson = new Map<number, string>();
    // Positions' symbols join the table before any names are sent, so every team's names are complete.
    const positions = states.map((state) => this.#positionTriples(state));
    const names = this.#symbols.names;
    const results: TeamRunResult[] = [];
    this.#rssAfterLastCall = null;
    try {
      for (let i = 0; i < states.length; i++) {
        onTeam?.(i);
        const state = states[i];
        if (state === undefined) continue;
        results.push(
          this.#runTeam(state, (team) => {
            let payload = payloads.get(team.seenSeq);
            if (payload === undefined) {
              // The first payload of the batch (nearly always the only one) is written into the host's
              // scratch buffer, which channels copy from; any other into an array of its own, which a
              // payload too large for a channel is moved, not copied, into the isolate from.
              // A new isolate: the symbols alone, whose columns it asks for as its strategy reads
              // them (#column). Else the minutes it missed, when they are all it lacks (nearly always:
              // the last one); else each symbol's bars it lacks, symbols in the history's order
              // (history.ts: covers).
              const data =
                team.seenSeq === 0
                  ? encodeWindows(
                      minute,
                      priceData,
                      this.#history.lastSeq,
                      this.#history.symbolsWithBars().map((key) => ({ key, count: 0, rows: [] })),
                    )
                  : this.#history.covers(team.seenSeq)
                    ? encodePayload(minute, priceData, this.#history.since(team.seenSeq), payloads.size === 0 ? this.#payloadScratch.numbersFor : undefined)
                    : encodeWindows(minute, priceData, this.#history.lastSeq, this.#history.windowsSince(team.seenSeq));
              payload = data.length <= CHANNEL_MAX_NUMBERS ? data : new ivm.ExternalCopy(data.buffer as ArrayBuffer, { transferOut: true });
              payloads.set(team.seenSeq, payload);
              this.#rssAfterLastCall = null;
            }
            let json = namesJson.get(team.knownNames);
            if (json === undefined) {
              json = team.knownNames < names.length ? JSON.stringify(names.slice(team.knownNames)) : '';
              namesJson.set(team.knownNames, json);
            }
            return {
              payload,
              namesFrom: team.knownNames,
              namesJson: json,
              pricesJson,
              seed: team.seeds.at(minute),
              cash: state.cash,
              equity: state.equity,
              positions: positions[i] ?? [],
            };
          }),
        );
      }
      onTeam?.(states.length);
    } finally {
      for (const payload of payloads.values()) if (!(payload instanceof Float64Array)) payload.release();
    }
    return results;
  }

  /** A team's positions as (symbol index, quantity, average cost) triples, in its record's key order. */
  #positionTriples(state: RunTeam): number[] {
    const triples: number[] = [];
    for (const symbol in state.positions) {
      if (!Object.hasOwn(state.positions, symbol)) continue;
      const position = state.positions[symbol];
      if (position === undefined) continue;
      triples.push(this.#symbols.indexOf(symbol), position.quantity, position.avgCost);
    }
    return triples;
  }

  /**
   * Column `field` of symbol `index`'s window (every bar this process was sent, which its isolates
   * have all been sent by the time they run), written into `into`: an isolate's first read of that
   * column (hostWindows.ts).
   */
  readonly #column = (index: number, field: number, into: Float64Array): number => {
    if (!Number.isInteger(index) || index < 0 || index >= this.#symbols.names.length || !Number.isInteger(field) || field < 0 || field >= BAR_FIELDS) return -1;
    return this.#windows.columnInto(index, field, into);
  };

  stats(): HostStats {
    const usage = process.memoryUsage();
    return { rss: usage.rss, heapUsed: usage.heapUsed, teams: this.#teams.size };
  }

  dispose(): void {
    for (const teamId of [...this.#teams.keys()]) this.unload(teamId);
  }

  #build(team: HostedTeam): { ok: true } | { ok: false; result: TeamRunResult } {
    this.#rssAfterLastCall = null;
    const built = TeamIsolate.create(team.spec, this.#limits, this.#history.lastMinute, team.memory, this.#prelude, this.#column);
    if (built.team === null) {
      const error = built.result.ok ? { kind: 'load' as const, message: 'the strategy failed to load' } : built.result.error;
      return { ok: false, result: { signals: [], error, logs: built.result.logs, memory: team.memory, cpuMs: 0, wallMs: 0 } };
    }
    team.isolate = built.team;
    team.seenSeq = 0;
    team.knownNames = 0;
    team.rssGrowth = 0;
    return { ok: true };
  }

  #runTeam(state: RunTeam, inputFor: (team: HostedTeam) => Parameters<TeamIsolate['call']>[0]): TeamRunResult {
    const team = this.#teams.get(state.teamId);
    if (team === undefined) {
      return { signals: [], error: { kind: 'load', message: 'the strategy is not loaded in its sandbox process' }, logs: [], memory: {}, cpuMs: 0, wallMs: 0 };
    }
    if (team.isolate === null || team.isolate.lost) {
      const built = this.#build(team);
      if (!built.ok) return built.result;
    }
    const isolate = team.isolate;
    if (isolate === null) throw new Error('unreachable: isolate missing after rebuild');
    const input = inputFor(team);
    const rssBefore = this.#rssAfterLastCall ?? this.#rss.read();
    const outcome = isolate.call(input);
    const rssAfter = this.#rss.read();
    this.#rssAfterLastCall = rssAfter;
    team.rssGrowth = Math.max(0, team.rssGrowth + rssAfter - rssBefore);
    team.seenSeq = this.#history.lastSeq;
    const grownMb = team.rssGrowth / 2 ** 20;
    const allowedMb = Math.max(this.#limits.rssGrowthMb, 2 * team.spec.memoryMb);
    if (grownMb > allowedMb && !outcome.isolateLost) {
      // Disposing the isolate frees what it held (the allocator reuses it for the next one).
      isolate.dispose();
      team.isolate = null;
      this.#rssAfterLastCall = null;
      const message = `the strategy grew its sandbox process by ${Math.round(grownMb)} MB, over its ${allowedMb} MB allowance (memory outside the JavaScript heap, e.g. Intl objects kept across calls, counts too); its isolate was discarded and will be rebuilt from the last saved team.memory`;
      return { signals: [], error: { kind: 'memory', message }, logs: outcome.logs, memory: team.memory, cpuMs: outcome.cpuMs, wallMs: outcome.wallMs, strike: message };
    }
    // After an error the names are sent again from the start (harmless: they are assigned by position).
    team.knownNames = outcome.ok ? this.#symbols.names.length : 0;
    if (outcome.isolateLost) {
      isolate.dispose();
      team.isolate = null;
      this.#rssAfterLastCall = null;
    }
    if (outcome.ok) {
      team.memory = outcome.memory;
      return {
        signals: outcome.signals,
        ...(outcome.invalidSignals.length === 0 ? {} : { invalidSignals: outcome.invalidSignals }),
        error: null,
        logs: outcome.logs,
        memory: outcome.memory,
        cpuMs: outcome.cpuMs,
        wallMs: outcome.wallMs,
      };
    }
    return { signals: [], error: outcome.error, logs: outcome.logs, memory: team.memory, cpuMs: outcome.cpuMs, wallMs: outcome.wallMs };
  }
}
