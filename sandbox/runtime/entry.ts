// The in-isolate runtime (the strategy SDK), bundled by ./bundle.ts into a classic script that is
// evaluated in every team's fresh context BEFORE any strategy code; its completion value is the
// object of entry points (setup, construct, run) the host calls. Nothing of it is reachable from
// the global object except `require`, `console`, the replaced `Date`/`Math.random`, and the
// blocked constructors.
//
// Trust model: the strategy may tamper with anything it can reach in its own realm (prototypes,
// JSON, toJSON, ...). Every value leaving the isolate is a string that the host parses,
// validates and clips again (sandbox/decode.ts), so tampering can only break the strategy's own
// results. To keep even that from happening by accident, the runtime's own records (logs,
// errors, signals) are written as JSON text by hand from primitive strings and numbers, with
// intrinsics captured before any strategy code runs (./intrinsics.ts): JSON.stringify is only
// ever applied to a primitive string (which never consults toJSON) or to the strategy's own
// team.memory. All entry points are strict functions so V8 CallSites never hand them to user code.
import { ArrayBufferTransfer, ArrayIsArray, F64, G, JSONparse, JSONstringify, ObjectFreeze, ReflectApply, RegExpExec, StringC, StringIncludes } from './intrinsics.ts';
// Imported for their effects, in this order, after the intrinsics are captured: the blocked
// capabilities, then the frozen clock, the seeded Math.random, the console and `require`.
import './capabilities.ts';
import { setNow } from './clock.ts';
import { seedRandom, seedWords } from './random.ts';
import { logCalls, logsJson, resetLogs, setLogLimits } from './console.ts';
import './require.ts';
import { applyBars, bars, setColumnChannel, setColumnSource, setWindowBars } from './windows.ts';
import { api } from './teamApi.ts';
import { learnNames } from './symbols.ts';
import { readPositions, readPrices } from './decode.ts';
import { errorJson, FALLBACK, setMaxReasonChars, signalJson, thrownJson } from './encode.ts';
import { SUSPECT_ESCAPE, unstorablePath } from './storable.ts';
import { TEAM_NUMBERS } from './channelLayout.ts';
import { clip } from './text.ts';

interface SetupConfig {
  teamId: string;
  randomKey: string;
  params: Record<string, unknown>;
  memory: unknown;
  now: number;
  limits: { windowBars: number; memoryCapChars: number; maxSignals: number; maxLogLines: number; maxLogBytes: number; maxReasonChars: number };
}

interface StrategyInstance {
  generateSignal(team: unknown, bars: unknown, currentPrices: unknown): unknown;
}

let teamId = '';
// The team's own key for Math.random, derived by the host from a secret of the competition:
// other teams cannot compute this team's stream, and a replay with the same secret repeats it.
let randomKey = '';
let params: Record<string, unknown> = {};
let memory: unknown = {};
let memoryJsonGood = '{}';
let memoryDirty = false;
/** The last memory text a call's checks passed ('' until one has: the memory given at setup was not checked here). */
let memoryJsonChecked = '';
let memoryCapChars = 65536;
let maxSignals = 50;
let instance: StrategyInstance | null = null;
/**
 * The channel the host writes each minute's payload into (see child/teamIsolate.ts), and its buffer
 * (kept here: a typed array's `buffer` getter is the strategy's to replace). Only this module holds
 * them; nothing reachable from strategy code ever refers to them.
 */
let channel: Float64Array | null = null;
let channelBuffer: ArrayBuffer | SharedArrayBuffer = new ArrayBuffer(0);

// `columnSource`: the host's function that writes a column of a symbol's window into the channel
// (windows.ts), kept by windows.ts alone.
function setup(configJson: string, columnSource: (index: number, field: number) => number): void {
  const config = JSONparse(configJson) as SetupConfig;
  setColumnSource(columnSource);
  teamId = config.teamId;
  randomKey = config.randomKey;
  params = config.params;
  memoryJsonGood = JSONstringify(config.memory === undefined || config.memory === null ? {} : config.memory);
  memory = JSONparse(memoryJsonGood);
  setNow(config.now);
  setWindowBars(config.limits.windowBars);
  memoryCapChars = config.limits.memoryCapChars;
  maxSignals = config.limits.maxSignals;
  setLogLimits(config.limits.maxLogLines, config.limits.maxLogBytes);
  setMaxReasonChars(config.limits.maxReasonChars);
  seedRandom(randomKey + ':load');
}

function construct(): string {
  resetLogs();
  try {
    const ns = G.__qtcStrategy as { default?: unknown } | null | undefined;
    const Strategy = ns !== null && typeof ns === 'object' ? ns.default : undefined;
    if (typeof Strategy !== 'function') {
      return errorJson('load', 'the strategy has no default export class: write `export default class Strategy { generateSignal(team, bars, currentPrices) { … } }`');
    }
    instance = new (Strategy as new (params: Record<string, unknown>) => StrategyInstance)(params);
    if (instance === null || typeof instance !== 'object' || typeof instance.generateSignal !== 'function') {
      instance = null;
      return errorJson('load', 'the default export has no generateSignal(team, bars, currentPrices) method');
    }
    return '{"ok":true,"logs":' + logsJson() + '}';
  } catch (e) {
    instance = null;
    return thrownJson('load', e, 'the strategy failed to load: ');
  }
}

// Constant argument lists for ReflectApply, private to the runtime: no array allocated per call.
const TRANSFER_ARGS = ObjectFreeze([0]);
const ESCAPE_ARGS = ObjectFreeze(['\\u']);

// The minute's prices cross as JSON text written once per minute by the host ('' when they are
// read from the payload); the team's state as numbers in the channel, ahead of the payload (layout
// in channelLayout.ts): the four words of this minute's random seed, cash, equity, and its
// positions as (symbol index, quantity, average cost) triples. So nothing is serialised per call,
// and the call itself carries five arguments whatever the team holds: each argument is an object
// isolated-vm allocates, copies in and frees. The per-call path avoids calls and allocations it
// can (one function, no helpers for small steps): an isolate runs once a minute, so its code stays
// interpreted and every function or object it touches is a cache miss.
function run(newChannel: SharedArrayBuffer | null, oneOff: ArrayBuffer | null, namesFrom: number, namesJson: string, pricesJson: string): string {
  try {
    // A channel the host sends is kept in place of the last one before anything can fail: the host
    // sends it once, and writes every later call's numbers into it.
    if (newChannel !== null) {
      channel = new F64(newChannel);
      channelBuffer = newChannel;
      setColumnChannel(newChannel);
    }
    if (instance === null) return errorJson('load', 'the strategy is not loaded');
    if (channel === null) return errorJson('runtime', 'the sandbox runtime was given no channel');
    const input = channel;
    seedWords(input[0]!, input[1]!, input[2]!, input[3]!);
    const cash = input[4]!;
    const equity = input[5]!;
    const positionCount = input[6]!;
    if (namesJson !== '') learnNames(namesFrom, namesJson);
    // The payload: in the channel after the team's numbers, or a one-off copy.
    let data: Float64Array;
    let buffer: ArrayBuffer | SharedArrayBuffer;
    let at: number;
    if (oneOff === null) {
      data = input;
      buffer = channelBuffer;
      at = TEAM_NUMBERS + 3 * positionCount;
    } else {
      data = new F64(oneOff);
      buffer = oneOff;
      at = 0;
    }
    const minute = data[at]!;
    const priceCount = data[at + 1]!;
    // The host's JSON of the prices when it carries them exactly: the engine builds the object.
    const currentPrices = pricesJson !== '' ? (JSONparse(pricesJson) as Record<string, number>) : readPrices(data, priceCount, at + 2);
    applyBars(data, buffer, at + 2 + 2 * priceCount);
    // Free a one-off input now rather than at this isolate's next GC, which may be far off for an
    // idle isolate: detaching releases the backing store (minutes an isolate missed: up to its whole
    // window, ~0.7 MB at 10 symbols).
    if (oneOff !== null && ArrayBufferTransfer !== undefined) ReflectApply(ArrayBufferTransfer, oneOff, TRANSFER_ARGS);
    setNow(minute);
    if (logCalls !== 0) resetLogs();
    if (memoryDirty) memory = JSONparse(memoryJsonGood);
    memoryDirty = true;
    // (jsonNumber inlined: x - x is 0 exactly when x is finite)
    const team = {
      id: teamId,
      cash: cash - cash === 0 ? cash + 0 : null,
      equity: equity - equity === 0 ? equity + 0 : null,
      positions: positionCount === 0 ? {} : readPositions(input, positionCount, TEAM_NUMBERS),
      params,
      memory,
      api,
    };
    let out: unknown;
    try {
      out = instance.generateSignal(team, bars, currentPrices);
    } catch (e) {
      return thrownJson('runtime', e, '');
    }
    try {
      if (out !== null && (typeof out === 'object' || typeof out === 'function') && typeof (out as { then?: unknown }).then === 'function') {
        return errorJson('invalid-result', 'generateSignal returned a Promise: strategies must be synchronous (no async/await); return a signal, a list of signals, or null');
      }
    } catch (e) {
      return thrownJson('invalid-result', e, 'the returned value could not be inspected: ');
    }
    let list: ArrayLike<unknown>;
    let signalsJson = '[]';
    // No signal (the usual minute): nothing to read.
    if (out !== null && out !== undefined) {
      try {
        list = ArrayIsArray(out) ? out : [out];
        const count = list.length;
        if (typeof count !== 'number' || count > maxSignals) {
          return errorJson('invalid-result', 'generateSignal returned ' + StringC(count) + ' signals; at most ' + maxSignals + ' are accepted per call');
        }
        signalsJson = '[';
        for (let i = 0; i < count; i++) signalsJson += (i === 0 ? '' : ',') + signalJson(list[i]);
        signalsJson += ']';
      } catch (e) {
        return thrownJson('invalid-result', e, 'the returned signals could not be read: ');
      }
    }
    let memoryJson: string;
    try {
      const m = team.memory;
      if (m === null || typeof m !== 'object' || ArrayIsArray(m)) {
        return errorJson('invalid-result', 'team.memory must stay a plain JSON object; the previous memory is kept');
      }
      memoryJson = JSONstringify(m);
    } catch (e) {
      return thrownJson('invalid-result', e, 'team.memory could not be serialised to JSON (the previous memory is kept): ');
    }
    // A toJSON can turn the object into anything; what is kept must be a JSON object.
    // (A primitive string's own characters are read without its prototype.)
    if (typeof memoryJson !== 'string' || memoryJson.length === 0 || memoryJson[0] !== '{') {
      return errorJson('invalid-result', 'team.memory must stay a plain JSON object; the previous memory is kept');
    }
    // The text that passed these checks last time needs them no more (the usual case: unchanged memory).
    if (memoryJson !== memoryJsonChecked) {
      // Only a \u escape can be suspect: a plain substring test spares most calls the regular expression.
      if (ReflectApply(StringIncludes, memoryJson, ESCAPE_ARGS) && ReflectApply(RegExpExec, SUSPECT_ESCAPE, [memoryJson]) !== null) {
        const where = unstorablePath(JSONparse(memoryJson), 'team.memory');
        if (where !== null) {
          return errorJson('invalid-result', clip(where, 200) + ' holds a NUL character or an unpaired surrogate, which cannot be stored; the previous memory is kept');
        }
      }
      if (memoryJson.length > memoryCapChars) {
        return errorJson('invalid-result', 'team.memory serialises to ' + memoryJson.length + ' characters, over the cap of ' + memoryCapChars + '; the previous memory is kept');
      }
    }
    // The live object becomes the JSON round-trip, so a warm isolate and one restored from the
    // saved memory see exactly the same value.
    memory = JSONparse(memoryJson);
    memoryJsonGood = memoryJson;
    memoryJsonChecked = memoryJson;
    memoryDirty = false;
    return '{"ok":true,"signals":' + signalsJson + ',"memory":' + memoryJson + ',"logs":' + (logCalls === 0 ? '[]' : logsJson()) + '}';
  } catch (e) {
    try {
      return thrownJson('runtime', e, '');
    } catch {
      return FALLBACK;
    }
  }
}

/** The entry points; ./bundle.ts makes this object the completion value of the runtime script. */
export const runtimeEntry = ObjectFreeze({ setup, construct, run });
