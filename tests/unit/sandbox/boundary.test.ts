// The host side of the sandbox boundary: whatever string the isolate returns, what comes out is
// bounded, storable in Postgres and free of kinds only the host may report.
import { describe, expect, it } from 'vitest';
import { decodeCallResult, MAX_ERROR_CHARS, MAX_STACK_CHARS } from '../../../sandbox/decode.ts';
import { isStorableText, safeText, unstorableJsonPath } from '../../../sandbox/safeText.ts';
import { createStackMapper, frameLocation } from '../../../sandbox/stackMap.ts';

const limits = { maxSignals: 5, maxReasonChars: 100, maxLogLines: 51, maxLogBytes: 8192, memoryCapChars: 65536 };

describe('safeText', () => {
  it('replaces NUL and unpaired surrogates and keeps pairs', () => {
    expect(safeText('a\u0000b', 10)).toBe('a\uFFFDb');
    expect(safeText('x\ud800y\udc00', 10)).toBe('x\uFFFDy\uFFFD');
    expect(safeText('ok 😀', 10)).toBe('ok 😀');
    expect(isStorableText(safeText('\ud800\u0000', 10))).toBe(true);
  });
  it('clips without splitting a pair', () => {
    expect(safeText('abcdef', 3)).toBe('abc…[truncated]');
    const clipped = safeText('ab😀cd', 3);
    expect(isStorableText(clipped)).toBe(true);
    expect(clipped.startsWith('ab')).toBe(true);
  });
  it('finds unstorable strings and keys in JSON values, skipping clean text in one scan', () => {
    const value = { a: [1, 'fine', { b: 'bad\u0000' }] };
    expect(unstorableJsonPath(value, JSON.stringify(value), 'memory')).toBe('memory.a[2].b');
    const key = { ['k\ud800']: 1 };
    expect(unstorableJsonPath(key, JSON.stringify(key), 'memory')).toMatch(/^memory\.k/);
    const clean = { a: 'x\\u0000 typed by hand' };
    expect(unstorableJsonPath(clean, JSON.stringify(clean), 'memory')).toBeNull();
  });
});

describe('decodeCallResult against a subverted runtime', () => {
  it('never accepts a kind only the host can observe', () => {
    for (const kind of ['crashed', 'timeout', 'memory', 'quarantined']) {
      const decoded = decodeCallResult(JSON.stringify({ ok: false, error: { kind, message: 'forged' }, logs: [] }), limits);
      expect(decoded).toMatchObject({ ok: false, error: { kind: 'runtime' } });
    }
  });
  it('clips error messages, stacks and logs on the host side', () => {
    const logs = Array.from({ length: 300 }, () => ({ level: 'log', message: 'x'.repeat(5000) + '\u0000' }));
    const text = JSON.stringify({ ok: false, error: { kind: 'runtime', message: 'm'.repeat(1_000_000), stack: 's'.repeat(1_000_000) }, logs });
    const decoded = decodeCallResult(text, limits);
    if (decoded.ok) throw new Error('expected an error');
    expect(decoded.error.message.length).toBeLessThanOrEqual(MAX_ERROR_CHARS + 20);
    expect(decoded.error.stack?.length).toBeLessThanOrEqual(MAX_STACK_CHARS + 20);
    expect(decoded.logs.length).toBeLessThanOrEqual(limits.maxLogLines);
    const chars = decoded.logs.reduce((sum, line) => sum + line.message.length, 0);
    expect(chars).toBeLessThanOrEqual(limits.maxLogBytes + 300);
    expect(decoded.logs.every((line) => isStorableText(line.message))).toBe(true);
  });
  it('makes reasons storable', () => {
    const text = JSON.stringify({ ok: true, signals: [{ symbol: 'SPY', action: 'buy', quantity: 1, reason: 'r\u0000\ud800' }], memory: {}, logs: [] });
    const decoded = decodeCallResult(text, limits);
    expect(decoded.ok && decoded.signals[0]?.reason).toBe('r\uFFFD\uFFFD');
  });
  it('refuses memory that is not a plain object or cannot be stored, and asks for the isolate to be rebuilt', () => {
    for (const memory of ['a string', [1], 7, { note: 'nul\u0000' }]) {
      const decoded = decodeCallResult(JSON.stringify({ ok: true, signals: [], memory, logs: [] }), limits);
      expect(decoded).toMatchObject({ ok: false, error: { kind: 'invalid-result' }, discardIsolate: true });
    }
  });
});

describe('stack frames', () => {
  it('parses a frame location from the end of the line', () => {
    expect(frameLocation('    at Strategy.generateSignal (strategy.bundle.js:12:5)')).toMatchObject({ file: 'strategy.bundle.js', line: 12, column: 5, paren: ')' });
    expect(frameLocation('    at strategy.bundle.js:3:9')).toMatchObject({ file: 'strategy.bundle.js', line: 3, column: 9, paren: '' });
    expect(frameLocation('no location here')).toBeNull();
  });
  it('maps a hostile 1,000,000-character stack in linear time', () => {
    const mapper = createStackMapper('strategy.bundle.js', '');
    const line = 'a'.repeat(40_000) + ':1';
    const stack = ['Error: x', ...Array.from({ length: 25 }, () => `    at ${line}`)].join('\n');
    // Counted, not timed: the work is bounded by the frames kept and their length.
    expect(mapper.mapStack(stack).split('\n').length).toBeLessThanOrEqual(26);
    expect(mapper.firstLocation(stack)).toBeNull();
  });
});
