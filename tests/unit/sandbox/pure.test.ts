import { describe, expect, it } from 'vitest';
import { decodeCallResult, validateSignal } from '../../../sandbox/decode.ts';
import { CrashLedger } from '../../../sandbox/host/crashLedger.ts';
import { BarHistory } from '../../../sandbox/history.ts';
import { describeExit } from '../../../sandbox/index.ts';
import type { MinuteEntry } from '../../../sandbox/protocol.ts';

const limits = { maxSignals: 2, maxReasonChars: 10, maxLogLines: 5, maxLogBytes: 8192, memoryCapChars: 65536 };

describe('decodeCallResult', () => {
  it('decodes a good result', () => {
    const text = JSON.stringify({
      ok: true,
      signals: [{ symbol: 'AAPL', action: 'buy', quantity: 2, confidence: 0.5 }],
      memory: { a: 1 },
      logs: [{ level: 'warn', message: 'hi' }],
    });
    expect(decodeCallResult(text, limits)).toEqual({
      ok: true,
      signals: [{ symbol: 'AAPL', action: 'buy', quantity: 2, confidence: 0.5 }],
      invalidSignals: [],
      memory: { a: 1 },
      logs: [{ level: 'warn', message: 'hi' }],
    });
  });

  it('refuses non-strings, bad JSON, too many signals and unknown error kinds', () => {
    expect(decodeCallResult(42, limits)).toMatchObject({ ok: false, error: { kind: 'invalid-result' } });
    expect(decodeCallResult('{', limits)).toMatchObject({ ok: false, error: { kind: 'invalid-result', message: expect.stringMatching(/not valid JSON/) as unknown } });
    const three = JSON.stringify({ ok: true, signals: [1, 2, 3].map(() => ({ symbol: 'A', action: 'buy', quantity: 1 })) });
    expect(decodeCallResult(three, limits)).toMatchObject({ ok: false, error: { message: expect.stringMatching(/at most 2/) as unknown } });
    expect(decodeCallResult(JSON.stringify({ ok: false, error: { kind: 'weird', message: 'm' } }), limits)).toMatchObject({ ok: false, error: { kind: 'runtime', message: 'm' } });
  });
});

describe('validateSignal', () => {
  it('explains what is wrong', () => {
    expect(validateSignal({ symbol: 'AAPL', action: 'buy', quantity: 0 }, 0, 10)).toMatch(/quantity must be a finite number greater than 0, got number 0/);
    expect(validateSignal({ symbol: 'AAPL', action: 'buy', quantity: { $type: 'number', value: 'Infinity' } }, 1, 10)).toMatch(/signal 1 \(AAPL\): quantity .* got Infinity/);
    expect(validateSignal({ symbol: 'AAPL', action: 'buy', quantity: 1, reason: 'far too long' }, 0, 10)).toMatch(/at most 10 characters/);
    expect(validateSignal({ symbol: 'AAPL', action: 'buy', quantity: 1, price: -1 }, 0, 10)).toMatch(/price/);
    expect(validateSignal({ symbol: '', action: 'buy', quantity: 1 }, 0, 10)).toMatch(/symbol/);
    expect(validateSignal({ $type: 'function' }, 0, 10)).toMatch(/must be an object.*function/);
  });
});

describe('BarHistory (whole minutes)', () => {
  const entry = (seq: number): MinuteEntry => [seq, seq * 60_000, ['AAPL'], [seq, 1, 1, 1, 1, 1]];
  it('returns the minutes after a seq, bounded by capacity, ignoring replays', () => {
    const history = new BarHistory<string, MinuteEntry>(3, 3);
    for (let seq = 1; seq <= 5; seq++) history.append(entry(seq));
    history.append(entry(4));
    expect(history.lastSeq).toBe(5);
    expect(history.since(3).map((e) => e[0])).toEqual([4, 5]);
    expect(history.since(0).map((e) => e[0])).toEqual([3, 4, 5]);
    expect(history.since(5)).toEqual([]);
    // A symbol with a bar every minute keeps nothing older than the minutes kept.
    expect(history.covers(2)).toBe(true);
    expect(history.covers(1)).toBe(false);
    expect(history.entriesSince(0).map((e) => e[0])).toEqual([3, 4, 5]);
  });
});

describe('CrashLedger', () => {
  it('counts deaths within the window only', () => {
    const ledger = new CrashLedger(2, 1000);
    expect(ledger.record('t', 0)).toEqual({ count: 1, limitReached: false });
    expect(ledger.record('t', 1500)).toEqual({ count: 1, limitReached: false });
    expect(ledger.record('t', 2000)).toEqual({ count: 2, limitReached: true });
    ledger.clear('t');
    expect(ledger.count('t', 2000)).toBe(0);
  });
});

describe('describeExit', () => {
  it('names V8 fatal errors and likely out-of-memory deaths', () => {
    expect(describeExit({ code: null, signal: 'SIGABRT', stderrTail: '', watchdog: null })).toBe('killed by SIGABRT, out of memory?');
    expect(describeExit({ code: 134, signal: null, stderrTail: 'x\nFATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory\n', watchdog: null })).toMatch(
      /exit code 134: FATAL ERROR: Reached heap limit/,
    );
    expect(describeExit({ code: 1, signal: null, stderrTail: '', watchdog: null })).toBe('exit code 1');
  });
});
