// A new isolate is sent its symbols, not their windows: a column of a window is asked of the host
// when the strategy first reads it (sandbox/runtime/windows.ts), then takes each bar as it arrives.
// So an isolate holds only the columns its strategy reads. Here the host's side is a spy: which
// columns are asked for, how often, and what the strategy sees of the answers.
import { describe, expect, it } from 'vitest';
import { encodePayload, encodeWindows, type EncodedMinute } from '../../../sandbox/child/payload.ts';
import { loadPrelude } from '../../../sandbox/child/teamHost.ts';
import { TeamIsolate, type CallInput, type ColumnSource } from '../../../sandbox/child/teamIsolate.ts';
import type { LoadSpec, RuntimeLimits } from '../../../sandbox/protocol.ts';
import { bundle, START } from './helpers.ts';

const LIMITS: RuntimeLimits = { windowBars: 5, memoryCapChars: 65536, maxSignals: 50, maxLogLines: 50, maxLogBytes: 10_000, maxReasonChars: 1000, rssGrowthMb: 256 };
const NAMES = ['AAA', 'BBB', 'CCC'];

/** Reads what `plan[call]` lists (symbol.field), then reports it: [length, first, last] per read. */
const READER = bundle(`
class Strategy {
  constructor(params) { this.plan = params.plan; this.call = 0; }
  generateSignal(team, bars) {
    const seen = {};
    for (const read of this.plan[this.call++] ?? []) {
      const [symbol, field] = read.split('.');
      const column = field === 'range' ? team.api.getLastN(symbol, 2).close : bars[symbol][field];
      seen[read] = [column.length, column[0], column[column.length - 1]];
    }
    team.memory.seen = seen;
    return null;
  }
}`);

/** The host's window: symbol s has bars 0 … count-1, field f of bar i being 1000 s + 10 i + f. */
const valueOf = (symbol: number, bar: number, field: number): number => 1000 * symbol + 10 * bar + field;

function spySource(barsNow: () => number, answer = true): { source: ColumnSource; asked: string[] } {
  const asked: string[] = [];
  const source: ColumnSource = (index, field, into) => {
    asked.push(`${NAMES[index]}.${field}`);
    if (!answer) return -1;
    const count = Math.min(barsNow(), LIMITS.windowBars);
    const first = barsNow() - count;
    for (let i = 0; i < count; i++) into[i] = valueOf(index, first + i, field);
    return count;
  };
  return { source, asked };
}

function spec(plan: string[][]): LoadSpec {
  return { teamId: 'reader', ...READER, params: { plan }, memory: {}, cpuMs: 5000, memoryMb: 64, loadMs: 5000, randomKey: 'k' };
}

/** A new isolate's payload: its symbols, without bars. */
function symbolsPayload(minute: number, lastSeq: number): Float64Array {
  return encodeWindows(
    minute,
    new Float64Array(0),
    lastSeq,
    [0, 1, 2].map((key) => ({ key, count: 0, rows: [] })),
  );
}

function input(payload: Float64Array, namesFrom: number): CallInput {
  return {
    payload,
    namesFrom,
    namesJson: namesFrom < NAMES.length ? JSON.stringify(NAMES.slice(namesFrom)) : '',
    pricesJson: '',
    seed: [1, 2, 3, 4],
    cash: 1000,
    equity: 1000,
    positions: [],
  };
}

/** Minute `bar` (seq bar + 1) with a bar for every symbol, as a warm isolate's payload. */
function minutePayload(bar: number): Float64Array {
  const values = NAMES.flatMap((_, s) => Array.from({ length: 6 }, (_, f) => valueOf(s, bar, f)));
  const entry: EncodedMinute = [bar + 1, START + bar * 60_000, [0, 1, 2], values];
  return encodePayload(START + bar * 60_000, new Float64Array(0), [entry]);
}

describe('window columns read on demand', () => {
  it('are asked of the host once each, on first read, and only those read; then they take every bar', () => {
    let bars = 3;
    const { source, asked } = spySource(() => bars);
    const plan = [['AAA.close', 'BBB.close'], ['AAA.close', 'AAA.high'], [], [], [], ['AAA.close', 'AAA.high', 'CCC.range']];
    const built = TeamIsolate.create(spec(plan), LIMITS, START, {}, loadPrelude(), source);
    const isolate = built.team;
    if (isolate === null) throw new Error(JSON.stringify(built.result));
    try {
      // A new isolate: the three symbols and no bars; the host holds bars 0-2.
      let outcome = isolate.call(input(symbolsPayload(START + 2 * 60_000, 3), 0));
      expect(outcome.ok && outcome.memory).toEqual({ seen: { 'AAA.close': [3, 4, 24], 'BBB.close': [3, 1004, 1024] } });
      expect(asked).toEqual(['AAA.4', 'BBB.4']);

      bars = 4;
      outcome = isolate.call(input(minutePayload(3), NAMES.length));
      // close took bar 3 as it came; high is asked for and joins it at the same bars.
      expect(outcome.ok && outcome.memory).toEqual({ seen: { 'AAA.close': [4, 4, 34], 'AAA.high': [4, 2, 32] } });
      expect(asked).toEqual(['AAA.4', 'BBB.4', 'AAA.2']);

      // Nothing read: nothing asked; the stored columns still take the bars.
      for (const bar of [4, 5, 6]) {
        bars = bar + 1;
        outcome = isolate.call(input(minutePayload(bar), NAMES.length));
        expect(outcome.ok).toBe(true);
      }
      bars = 8;
      outcome = isolate.call(input(minutePayload(7), NAMES.length));
      // The window is five bars (3-7); team.api copies need every column of CCC, asked for once each.
      expect(outcome.ok && outcome.memory).toEqual({ seen: { 'AAA.close': [5, 34, 74], 'AAA.high': [5, 32, 72], 'CCC.range': [2, 2064, 2074] } });
      expect(asked).toEqual(['AAA.4', 'BBB.4', 'AAA.2', 'CCC.0', 'CCC.1', 'CCC.2', 'CCC.3', 'CCC.4', 'CCC.5']);
    } finally {
      isolate.dispose();
    }
  });

  it('fail the call with the sandbox named when the host cannot answer', () => {
    const { source, asked } = spySource(() => 3, false);
    const built = TeamIsolate.create(spec([['BBB.open']]), LIMITS, START, {}, loadPrelude(), source);
    const isolate = built.team;
    if (isolate === null) throw new Error(JSON.stringify(built.result));
    try {
      const outcome = isolate.call(input(symbolsPayload(START, 3), 0));
      expect(outcome.ok).toBe(false);
      expect(!outcome.ok && outcome.error.message).toContain('the sandbox could not read the window of BBB (a fault of the sandbox, not of the strategy)');
      expect(asked).toEqual(['BBB.1']);
    } finally {
      isolate.dispose();
    }
  });
});
