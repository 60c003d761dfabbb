// One team's isolate: creation (runtime prelude, strategy script, constructor) and calls.
// Only strings cross in either direction; the host never holds a reference to a strategy object.
import { performance } from 'node:perf_hooks';
import ivm from 'isolated-vm';
import { decodeCallResult, MAX_ERROR_CHARS, MAX_STACK_CHARS, type DecodeLimits, type DecodedCall } from '../decode.ts';
import type { LoadSpec, RuntimeLimits } from '../protocol.ts';
import { safeText } from '../safeText.ts';
import { TEAM_NUMBERS } from '../runtime/channelLayout.ts';
import type { SeedWords } from './seed.ts';
import { createStackMapper, RUNTIME_FILENAME, type StackMapper } from '../stackMap.ts';
import type { SandboxError, SandboxErrorKind } from '../types.ts';

export interface PreludeSource {
  code: string;
  /** V8 code cache of the prelude, produced by the first isolate and reused by the others. */
  cachedData: ivm.ExternalCopy<ArrayBuffer> | undefined;
}

/** The runtime's `run(newChannel, oneOff, namesFrom, namesJson, pricesJson)`. */
type RunFn = (...args: Array<ArrayBuffer | SharedArrayBuffer | null | number | string>) => string;

/**
 * The largest payload a team's channel carries, in numbers: a minute of ~1,600 symbols. A larger one
 * (the minutes a warm isolate missed) crosses as a one-off copy.
 */
export const CHANNEL_MAX_NUMBERS = 16_384;

/**
 * The input of one call: the minute's payload (see payload.ts), the symbol names the isolate
 * lacks, the team's state as numbers (written into the team's channel with the payload: nothing serialised).
 */
export interface CallInput {
  /**
   * The minute's payload: numbers the host writes into the team's channel (at most
   * CHANNEL_MAX_NUMBERS), or a one-off copy.
   */
  payload: Float64Array | ivm.ExternalCopy<ArrayBuffer>;
  /** Index of the first name in `namesJson`. */
  namesFrom: number;
  /** JSON list of symbol names from `namesFrom` on, or '' when the isolate knows them all. */
  namesJson: string;
  /** The minute's prices as a JSON object, or '' when JSON cannot carry them exactly (then read from the payload). */
  pricesJson: string;
  /** The four words of this minute's Math.random seed (seed.ts). */
  seed: SeedWords;
  cash: number;
  equity: number;
  /** The team's positions as (symbol index, quantity, average cost) triples, in its record's key order. */
  positions: readonly number[];
}

export type CallOutcome = DecodedCall & { cpuMs: number; wallMs: number; isolateLost: boolean };

/**
 * Where a first read of a window's column is answered from: writes the n values of column `field` of
 * symbol `index`'s window (every bar the isolate was sent) at the start of `into` and returns n, or -1
 * when it cannot (sandbox/runtime/windows.ts).
 */
export type ColumnSource = (index: number, field: number, into: Float64Array) => number;

const TIMEOUT_MESSAGE = 'Script execution timed out.';

export class TeamIsolate {
  readonly #isolate: ivm.Isolate;
  readonly #run: ivm.Reference<RunFn>;
  readonly #spec: LoadSpec;
  readonly #limits: DecodeLimits;
  readonly mapper: StackMapper;
  /** The options of every call (read by isolated-vm on each). */
  readonly #callOptions: { timeout: number };
  /**
   * The team's channel: a SharedArrayBuffer this isolate's runtime keeps, which the host overwrites
   * before each call with the team's numbers (seed words, cash, equity, the number of positions, then
   * its positions as (symbol index, quantity, average cost) triples) followed by the minute's payload
   * when it fits. So the usual minute crosses with five call arguments, no copy object, no allocation
   * and nothing to detach on either side. During a call, the host writes into it the column of a
   * window the runtime asks for (#column), while the runtime waits for the answer. It is this
   * isolate's alone, written only while the isolate is not running or waits, and never read by the
   * host (sandbox/README.md).
   */
  #channel: Float64Array | null = null;
  /** The channel holds at least this many numbers: a column of a whole window is written into it. */
  readonly #channelMin: number;
  /** Time the host spent answering this call's reads of window columns (counted as the team's CPU). */
  #columnMs = 0;

  private constructor(isolate: ivm.Isolate, run: ivm.Reference<RunFn>, spec: LoadSpec, limits: RuntimeLimits, mapper: StackMapper) {
    this.#isolate = isolate;
    this.#run = run;
    this.#spec = spec;
    this.#callOptions = { timeout: spec.cpuMs };
    this.#limits = decodeLimits(limits);
    this.#channelMin = limits.windowBars;
    this.mapper = mapper;
  }

  /** Builds the isolate and constructs the strategy; never throws. */
  static create(
    spec: LoadSpec,
    limits: RuntimeLimits,
    now: number,
    memory: unknown,
    prelude: PreludeSource,
    columns: ColumnSource,
  ): { team: TeamIsolate | null; result: DecodedCall } {
    const mapper = createStackMapper(spec.filename, spec.sourceMap);
    const isolate = new ivm.Isolate({ memoryLimit: spec.memoryMb });
    try {
      const context = isolate.createContextSync();
      const preludeScript = isolate.compileScriptSync(prelude.code, {
        filename: RUNTIME_FILENAME,
        ...(prelude.cachedData === undefined ? { produceCachedData: true } : { cachedData: prelude.cachedData }),
      });
      const produced = (preludeScript as ivm.Script & ivm.CachedDataResult).cachedData;
      if (prelude.cachedData === undefined && produced !== undefined) prelude.cachedData = produced;
      const entry = preludeScript.runSync(context, { reference: true, timeout: spec.loadMs }) as ivm.Reference<Record<string, unknown>>;
      const setup = entry.getSync('setup', { reference: true }) as ivm.Reference<(config: string, columns: ivm.Callback) => void>;
      const construct = entry.getSync('construct', { reference: true }) as ivm.Reference<() => string>;
      const run = entry.getSync('run', { reference: true }) as ivm.Reference<RunFn>;
      entry.release();
      preludeScript.release();
      const config = { teamId: spec.teamId, randomKey: spec.randomKey, params: spec.params, memory, now, limits };
      // The runtime's way to a column it lacks, answered synchronously while the call waits; it
      // writes only into this isolate's own channel, and only what the host would send it anyway.
      let team: TeamIsolate | null = null;
      const columnSource = new ivm.Callback((index: unknown, field: unknown) => (team === null ? -1 : team.#column(index, field, columns)));
      setup.applySync(undefined, [JSON.stringify(config), columnSource], { timeout: spec.loadMs });
      setup.release();

      let strategyScript: ivm.Script;
      try {
        strategyScript = isolate.compileScriptSync(spec.code, { filename: spec.filename });
      } catch (error) {
        isolate.dispose();
        return { team: null, result: failed('load', `the strategy code does not compile: ${messageOf(error)}`) };
      }
      // The completion value stays inside the isolate behind a reference that is dropped at once.
      const completion = strategyScript.runSync(context, { reference: true, timeout: spec.loadMs }) as ivm.Reference<unknown>;
      completion.release();
      strategyScript.release();
      const text = construct.applySync(undefined, [], { timeout: spec.loadMs });
      construct.release();
      const decoded = decodeCallResult(text, decodeLimits(limits));
      if (!decoded.ok) {
        isolate.dispose();
        return { team: null, result: mapError(decoded, mapper) };
      }
      team = new TeamIsolate(isolate, run, spec, limits, mapper);
      return { team, result: decoded };
    } catch (error) {
      const kind = classify(error, isolate);
      if (!isolate.isDisposed) isolate.dispose();
      const what =
        kind === 'timeout'
          ? `did not finish loading within ${spec.loadMs} ms`
          : kind === 'memory'
            ? `exceeded its ${spec.memoryMb} MB memory limit while loading`
            : `failed to load: ${messageOf(error)}`;
      return { team: null, result: failed(kind === 'runtime' ? 'load' : kind, `the strategy ${what}`, mapStackOf(error, mapper)) };
    }
  }

  get lost(): boolean {
    return this.#isolate.isDisposed;
  }

  call(input: CallInput): CallOutcome {
    const cpuBefore = this.#isolate.cpuTime;
    const started = performance.now();
    let decoded: DecodedCall;
    let isolateLost = false;
    let hostMs = 0;
    try {
      const { payload, positions } = input;
      const inChannel = payload instanceof Float64Array;
      const payloadAt = TEAM_NUMBERS + positions.length;
      const needed = Math.max(payloadAt + (inChannel ? payload.length : 0), this.#channelMin);
      let newChannel: ivm.Copy<SharedArrayBuffer> | null = null;
      if (this.#channel === null || this.#channel.length < needed) {
        // A new (larger) channel goes with this call, which the runtime keeps in place of the last.
        this.#channel = new Float64Array(new SharedArrayBuffer(channelNumbers(needed) * 8));
        newChannel = new ivm.ExternalCopy(this.#channel.buffer as SharedArrayBuffer).copyInto({ release: true });
      }
      const channel = this.#channel;
      const [s0, s1, s2, s3] = input.seed;
      channel[0] = s0;
      channel[1] = s1;
      channel[2] = s2;
      channel[3] = s3;
      channel[4] = input.cash;
      channel[5] = input.equity;
      channel[6] = positions.length / 3;
      if (positions.length > 0) channel.set(positions, TEAM_NUMBERS);
      if (inChannel) channel.set(payload, payloadAt);
      const args = [newChannel, inChannel ? null : payload.copyInto(), input.namesFrom, input.namesJson, input.pricesJson];
      this.#columnMs = 0;
      const text = this.#run.applySync(undefined, args, this.#callOptions);
      const decodeStarted = performance.now();
      decoded = mapError(decodeCallResult(text, this.#limits), this.mapper);
      // The host's work on the strategy's output (parsing, validation, stack mapping) and on the
      // columns it first read is the team's too: it is counted in its CPU time, which it sees and
      // the operators watch.
      hostMs = performance.now() - decodeStarted + this.#columnMs;
      // A result the runtime should never have let through (see decode.ts) leaves bad state in the isolate.
      if (!decoded.ok && decoded.discardIsolate === true) isolateLost = true;
    } catch (error) {
      const kind = classify(error, this.#isolate);
      isolateLost = true; // after a timeout or an out-of-memory the isolate is rebuilt from the last good memory
      if (kind === 'timeout') {
        decoded = failed('timeout', `generateSignal did not return within its ${this.#spec.cpuMs} ms CPU limit`);
      } else if (kind === 'memory') {
        decoded = failed(
          'memory',
          `the strategy exceeded its ${this.#spec.memoryMb} MB memory limit; its isolate was discarded and will be rebuilt from the last saved team.memory`,
        );
      } else {
        decoded = failed('runtime', `the sandbox runtime failed: ${messageOf(error)}`);
      }
    }
    const wallMs = performance.now() - started;
    const cpuMs = this.#isolate.isDisposed ? wallMs : Number(this.#isolate.cpuTime - cpuBefore) / 1e6 + hostMs;
    return { ...decoded, cpuMs, wallMs, isolateLost };
  }

  dispose(): void {
    if (!this.#isolate.isDisposed) this.#isolate.dispose();
    this.#channel = null;
  }

  /** A column the runtime asks for during a call, written into the channel (-1 when it cannot be). */
  #column(index: unknown, field: unknown, columns: ColumnSource): number {
    const channel = this.#channel;
    if (channel === null || typeof index !== 'number' || typeof field !== 'number') return -1;
    const started = performance.now();
    try {
      return columns(index, field, channel);
    } catch {
      return -1;
    } finally {
      this.#columnMs += performance.now() - started;
    }
  }
}

/**
 * A channel's size for n numbers: the next power of two, so a growing universe re-sends it rarely,
 * up to CHANNEL_MAX_NUMBERS; past it (a full payload and many positions), exactly n.
 */
function channelNumbers(n: number): number {
  return Math.max(n, Math.min(CHANNEL_MAX_NUMBERS, 2 ** Math.ceil(Math.log2(Math.max(64, n)))));
}

export function decodeLimits(limits: RuntimeLimits): DecodeLimits {
  return {
    maxSignals: limits.maxSignals,
    maxReasonChars: limits.maxReasonChars,
    maxLogLines: limits.maxLogLines + 1,
    maxLogBytes: limits.maxLogBytes,
    memoryCapChars: limits.memoryCapChars,
  };
}

function failed(kind: SandboxErrorKind, message: string, stack?: string): DecodedCall {
  const error: SandboxError = { kind, message };
  if (stack !== undefined) error.stack = stack;
  return { ok: false, error, logs: [] };
}

/** The message of an error thrown across the isolate boundary: strategy text, so made safe. */
function messageOf(error: unknown): string {
  return safeText(error instanceof Error ? error.message : String(error), MAX_ERROR_CHARS);
}

function classify(error: unknown, isolate: ivm.Isolate): SandboxErrorKind {
  const message = messageOf(error);
  if (message === TIMEOUT_MESSAGE) return 'timeout';
  if (isolate.isDisposed || message.includes('memory limit')) return 'memory';
  return 'runtime';
}

function mapStackOf(error: unknown, mapper: StackMapper): string | undefined {
  return error instanceof Error && typeof error.stack === 'string' ? mapper.mapStack(safeText(error.stack, MAX_STACK_CHARS)) : undefined;
}

/** Rewrites an error's stack to the author's files and names the first location in the message. */
function mapError(decoded: DecodedCall, mapper: StackMapper): DecodedCall {
  if (decoded.ok || decoded.error.stack === undefined) return decoded;
  const location = mapper.firstLocation(decoded.error.stack);
  const error: SandboxError = { ...decoded.error, stack: mapper.mapStack(decoded.error.stack) };
  if (location !== null) error.message = `${error.message} (at ${safeText(location, 200)})`;
  return { ...decoded, error };
}
