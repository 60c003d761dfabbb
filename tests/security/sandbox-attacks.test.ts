// Attacks on the sandbox with the static check switched off: raw code goes straight into the
// isolate. Each asserts the attacker gets a clear error (or harmless output), and that the host
// process and the canary team of every child process are unaffected.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxErrorKind } from '../../sandbox/index.ts';
import { barFor, bundle, START } from '../unit/sandbox/helpers.ts';
import { AttackBench, resultOf } from './support.ts';

// The CPU limit is wall time on the isolate's thread, so on a loaded machine a tight limit can cut
// a call that would have ended otherwise. Only attacks that must end in a timeout get the tight
// limit; every other call (the canaries included) gets a generous one, so what stops them is the
// limit under test, never the machine's load.
const TIGHT_CPU_MS = 100;
const GENEROUS_CPU_MS = 5_000;
const bench = new AttackBench({ cpuMs: GENEROUS_CPU_MS });
let counter = 0;

/** Loads `body` as a new attacker team, runs `minutes` minutes, unloads it; returns its results. */
async function attack(body: string, minutes = 1, cpuMs = GENEROUS_CPU_MS) {
  const teamId = `attacker-${counter++}`;
  const loaded = await bench.pool.load({ teamId, strategy: bundle(body), cpuMs });
  const results = [];
  for (let i = 0; i < minutes; i++) results.push(resultOf(await bench.step(teamId), teamId));
  await bench.pool.unload(teamId);
  return { loaded, results, first: results[0] ?? null };
}

function expectError(result: { error: { kind: string; message: string } | null } | null, kinds: SandboxErrorKind[], message?: RegExp): void {
  expect(result?.error, 'the attacker should get an error').not.toBeNull();
  expect(kinds).toContain(result?.error?.kind);
  if (message !== undefined) expect(result?.error?.message).toMatch(message);
}

beforeAll(async () => {
  await bench.start();
});
afterAll(async () => {
  await bench.close();
});

describe('constructor-chain escapes', () => {
  const attempts: Record<string, string> = {
    'this.constructor.constructor': `this.constructor.constructor('return process')()`,
    'Function global': `Function('return globalThis')()`,
    'async function constructor': `(async function () {}).constructor('return process')()`,
    'generator function constructor': `(function* () {}).constructor('yield process')().next()`,
    'async generator constructor': `(async function* () {}).constructor('yield 1')`,
    'error constructor chain': `(() => { try { null.x; } catch (e) { return e.constructor.constructor('return process')(); } })()`,
    'bound function chain': `Math.max.bind(null).constructor('return 1')()`,
    'Reflect.construct on Function': `Reflect.construct(Object.getPrototypeOf(() => {}).constructor, ['return 1'])()`,
  };
  for (const [name, expression] of Object.entries(attempts)) {
    it(`blocks ${name}`, async () => {
      const { first } = await attack(`class Strategy { generateSignal() { return ${expression}; } }`);
      expectError(first, ['runtime'], /Code generation from strings .* disabled/);
    });
  }

  it('has no eval, and process/require give nothing', async () => {
    const { first } = await attack(`class Strategy { generateSignal(team) {
      team.memory.seen = [typeof eval, typeof process, typeof module, typeof globalThis.global, typeof Buffer];
      try { require('child_process'); } catch (e) { team.memory.requireError = e.message; }
      return null; } }`);
    expect(first?.error).toBeNull();
    expect(first?.memory).toMatchObject({
      seen: ['undefined', 'undefined', 'undefined', 'undefined', 'undefined'],
      requireError: expect.stringMatching(/Cannot import "child_process"/) as unknown,
    });
  });

  it('has no SharedArrayBuffer, Atomics, WebAssembly, timers or weak references', async () => {
    const { first } = await attack(`class Strategy { generateSignal(team) {
      team.memory.seen = ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'performance', 'WeakRef', 'FinalizationRegistry', 'fetch', 'process']
        .filter((name) => typeof globalThis[name] !== 'undefined');
      return null; } }`);
    expect(first?.error).toBeNull();
    expect(first?.memory).toEqual({ seen: [] });
  });
});

describe('tampering with the realm', () => {
  it("prototype pollution only corrupts the attacker's own result", async () => {
    const { results } = await attack(
      `class Strategy { generateSignal() {
      Object.prototype.toJSON = function () { return 'forged'; };
      return { symbol: 'AAPL', action: 'buy', quantity: 1 }; } }`,
      2,
    );
    for (const result of results) expectError(result, ['invalid-result']);
  });

  it("replaced typed-array and buffer machinery does not change a window's first read from the host", async () => {
    // A new isolate holds no window: its first read of each column is written by the host into the
    // runtime's channel and copied out with intrinsics captured before the strategy ran.
    await bench.step(); // at least two minutes of bars
    const { first } = await attack(`class Strategy { generateSignal(team, bars) {
      const T = Object.getPrototypeOf(Float64Array.prototype);
      const lengthOf = Object.getOwnPropertyDescriptor(T, 'length').get;
      const F = Float64Array;
      Object.defineProperty(T, 'buffer', { get() { return new ArrayBuffer(8); }, configurable: true });
      Object.defineProperty(T, 'length', { get() { return 0; }, configurable: true });
      T.set = function () {};
      T.subarray = function () { return new F(0); };
      T.copyWithin = function () { return this; };
      globalThis.Float64Array = function () { return [0]; };
      globalThis.ArrayBuffer = function () { return {}; };
      Array.from = function () { return []; };
      const b = bars.MSFT;
      const close = b.close;
      const n = Reflect.apply(lengthOf, close, []);
      const slice = team.api.getLastN('MSFT', 2);
      team.memory.seen = { n, closes: [close[0], close[n - 1]], high: b.high[n - 1], times: [b.timestamp[0], b.timestamp[n - 1]], slice: [slice.timestamp[1], slice.close[1], slice.volume[0]] };
      return null; } }`);
    expect(first?.error).toBeNull();
    const seen = (first?.memory as { seen: { n: number; times: number[] } }).seen;
    const index = ((seen.times[1] ?? NaN) - START) / 60_000;
    expect(Number.isInteger(index) && index >= 1, `last bar at minute ${index}`).toBe(true);
    expect(seen).toEqual({
      n: index + 1,
      closes: [barFor('MSFT', 0).close, barFor('MSFT', index).close],
      high: barFor('MSFT', index).high,
      times: [START, START + index * 60_000],
      slice: [START + index * 60_000, barFor('MSFT', index).close, barFor('MSFT', index - 1).volume],
    });
  });

  it('replacing JSON and Array methods does not forge results', async () => {
    const { first } = await attack(`class Strategy { generateSignal() {
      JSON.stringify = () => '{"ok":true,"signals":[{"symbol":"AAPL","action":"buy","quantity":1000000}]}';
      JSON.parse = () => ({});
      Array.prototype.push = function () { return 0; };
      Array.isArray = () => false;
      return { symbol: 'AAPL', action: 'sell', quantity: 1 }; } }`);
    expect(first?.error).toBeNull();
    expect(first?.signals).toEqual([{ symbol: 'AAPL', action: 'sell', quantity: 1 }]);
  });

  it('Error.prepareStackTrace that loops is cut by the time limit', async () => {
    const { first } = await attack(
      `class Strategy { generateSignal() {
      Error.prepareStackTrace = () => { for (;;) {} };
      throw new Error('x'); } }`,
      1,
      TIGHT_CPU_MS,
    );
    expectError(first, ['timeout']);
  });

  it('Error.prepareStackTrace does not expose runtime functions', async () => {
    const { first } = await attack(`class Strategy { generateSignal(team) {
      let leaked = [];
      Error.prepareStackTrace = (error, frames) => { leaked = frames.map((f) => [f.getFileName(), typeof f.getFunction(), typeof f.getThis()]); return 'stack'; };
      new Error('probe').stack;
      Error.prepareStackTrace = undefined;
      team.memory.leaked = leaked.filter(([file, fn, self]) => file === 'qtc-runtime.js' && (fn !== 'undefined' || self !== 'undefined'));
      team.memory.frames = leaked.length;
      return null; } }`);
    expect(first?.error).toBeNull();
    expect(first?.memory).toMatchObject({ leaked: [] });
    expect((first?.memory as { frames: number }).frames).toBeGreaterThan(0);
  });

  it('Error.prepareStackTrace returning an object with getters is contained', async () => {
    const { first } = await attack(
      `class Strategy { generateSignal() {
      Error.prepareStackTrace = () => ({ get length() { for (;;) {} }, toString() { for (;;) {} } });
      throw new Error('x'); } }`,
      1,
      TIGHT_CPU_MS,
    );
    expect(first?.error).not.toBeNull();
  });
});

describe('hostile returned values and thrown errors', () => {
  // 'invalid-signal': the call succeeds and the entry is reported on its own as not a signal.
  const returned: Array<[string, string, Array<SandboxErrorKind | 'invalid-signal'>]> = [
    ['a getter that throws', `({ get symbol() { throw new Error('gotcha'); }, action: 'buy', quantity: 1 })`, ['invalid-result']],
    ['a getter that loops', `({ get symbol() { for (;;) {} }, action: 'buy', quantity: 1 })`, ['timeout']],
    [
      'a Proxy that throws on every trap',
      `new Proxy({}, { get() { throw new Error('trap'); }, has() { throw new Error('trap'); }, ownKeys() { throw new Error('trap'); }, getPrototypeOf() { throw new Error('trap'); } })`,
      ['invalid-result'],
    ],
    ['a Proxy array with a huge length', `new Proxy([], { get(t, k) { return k === 'length' ? 1e9 : t[k]; } })`, ['invalid-result']],
    ['a revoked Proxy', `(() => { const p = Proxy.revocable({}, {}); p.revoke(); return p.proxy; })()`, ['invalid-result']],
    ['toJSON on a signal field', `({ symbol: { toJSON() { return 'AAPL'; } }, action: 'buy', quantity: 1 })`, ['invalid-signal']],
    ['a symbol', `Symbol('x')`, ['invalid-signal']],
    ['a function', `function () {}`, ['invalid-signal']],
    ['ten million signals', `Array.from({ length: 1e7 }, () => ({ symbol: 'AAPL', action: 'buy', quantity: 1 }))`, ['invalid-result', 'timeout', 'memory']],
    ['a huge reason', `({ symbol: 'AAPL', action: 'buy', quantity: 1, reason: 'x'.repeat(2 ** 24) })`, ['invalid-signal']],
  ];
  for (const [name, expression, kinds] of returned) {
    it(`returning ${name}`, async () => {
      const { first } = await attack(`class Strategy { generateSignal() { return ${expression}; } }`, 1, kinds.includes('timeout') ? TIGHT_CPU_MS : GENEROUS_CPU_MS);
      if (kinds.includes('invalid-signal')) {
        expect(first?.error).toBeNull();
        expect(first?.signals).toEqual([]);
        expect(first?.invalidSignals).toEqual([{ index: 0, message: expect.stringMatching(/^signal 1\b/) as unknown }]);
        expect(first?.invalidSignals?.[0]?.message.length).toBeLessThan(300);
      } else {
        expectError(
          first,
          kinds.filter((kind): kind is SandboxErrorKind => kind !== 'invalid-signal'),
        );
      }
    });
  }

  const thrown: Array<[string, string, SandboxErrorKind[], RegExp | undefined]> = [
    ['a Proxy', `new Proxy({}, { get() { throw new Error('trap'); } })`, ['runtime'], /cannot be read/],
    ['an object whose message getter loops', `({ get message() { for (;;) {} } })`, ['timeout'], undefined],
    ['an object whose toString throws', `({ toString() { throw new Error('nope'); } })`, ['runtime'], /cannot be read/],
    ['a string', `'just a string'`, ['runtime'], /non-Error value was thrown: just a string/],
    ['an error with a huge message', `new Error('m'.repeat(2 ** 22))`, ['runtime'], /truncated/],
    ['null', `null`, ['runtime'], /non-Error value was thrown: null/],
  ];
  for (const [name, expression, kinds, message] of thrown) {
    it(`throwing ${name}`, async () => {
      const { first } = await attack(`class Strategy { generateSignal() { throw ${expression}; } }`, 1, kinds.includes('timeout') ? TIGHT_CPU_MS : GENEROUS_CPU_MS);
      expectError(first, kinds, message);
      expect(first?.error?.message.length).toBeLessThan(3000);
    });
  }
});

describe('CPU exhaustion', () => {
  const loops: Record<string, string> = {
    'a synchronous infinite loop': `for (;;) {}`,
    'a loop inside try/finally': `for (;;) { try { for (;;) {} } finally { continue; } }`,
    'a loop that catches everything': `for (;;) { try { for (;;) {} } catch (e) {} }`,
    'a microtask loop': `const spin = () => Promise.resolve().then(spin); spin(); return null;`,
    'a catastrophic regular expression': `return /^(a+)+$/.test('a'.repeat(40) + 'b');`,
    'deep recursion caught and retried': `const r = () => r(); for (;;) { try { r(); } catch {} }`,
  };
  for (const [name, body] of Object.entries(loops)) {
    it(`stops ${name}`, async () => {
      const { results } = await attack(`class Strategy { generateSignal() { ${body} } }`, 2, TIGHT_CPU_MS);
      for (const result of results) expectError(result, ['timeout'], /did not return within its 100 ms CPU limit/);
    });
  }

  it('rejects promises (async strategies are not supported), including never-settling ones', async () => {
    const never = await attack(`class Strategy { generateSignal() { return new Promise(() => {}); } }`);
    expectError(never.first, ['invalid-result'], /must be synchronous/);
    const asyncFn = await attack(`class Strategy { async generateSignal() { return { symbol: 'AAPL', action: 'buy', quantity: 1 }; } }`);
    expectError(asyncFn.first, ['invalid-result'], /must be synchronous/);
  });

  it('stops a constructor that never returns', async () => {
    const { loaded } = await attack(`class Strategy { constructor() { for (;;) {} } generateSignal() { return null; } }`, 0);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.error.kind).toBe('timeout');
  });
});

describe('memory exhaustion', () => {
  it('incremental growth across calls ends in a memory error, then a fresh isolate', async () => {
    const { results } = await attack(
      `class Strategy { constructor() { this.hoard = []; } generateSignal() {
      for (let i = 0; i < 200; i++) this.hoard.push(new Array(10000).fill(i + 0.5)); return null; } }`,
      6,
    );
    const kinds = results.map((r) => r.error?.kind ?? null);
    expect(kinds).toContain('memory');
  });

  it('growth within one call ends in a memory error', async () => {
    const { first } = await attack(`class Strategy { generateSignal() { const a = []; for (;;) a.push(new Array(100000).fill(1.5)); } }`);
    expectError(first, ['memory']);
  });

  it('one huge allocation may take down its process, never another team', async () => {
    const { results } = await attack(`class Strategy { generateSignal() { new Array(2 ** 26).fill(1.5); return null; } }`, 1);
    expectError(results[0] ?? null, ['memory', 'timeout', 'crashed']);
  });

  it('huge strings fail inside the isolate', async () => {
    const { first } = await attack(`class Strategy { generateSignal() { let s = 'x'; for (;;) s += s; } }`);
    expectError(first, ['runtime', 'memory'], /Invalid string length|memory limit/);
  });

  it('huge typed arrays fail inside the isolate', async () => {
    const { first } = await attack(`class Strategy { generateSignal() { return new Float64Array(2 ** 28).length; } }`);
    expectError(first, ['runtime', 'memory']);
  });

  it('deep recursion is a runtime error', async () => {
    const { first } = await attack(`class Strategy { generateSignal() { const r = (n) => r(n + 1) + 1; return r(0); } }`);
    expectError(first, ['runtime'], /Maximum call stack size exceeded/);
  });

  it('huge console output is bounded', async () => {
    const { first } = await attack(`class Strategy { generateSignal() {
      const line = 'y'.repeat(100000);
      for (let i = 0; i < 100000; i++) console.log(line, i);
      return null; } }`);
    expect(first?.error).toBeNull();
    const bytes = (first?.logs ?? []).reduce((sum, line) => sum + line.message.length, 0);
    expect(bytes).toBeLessThan(10_000);
    expect(first?.logs.at(-1)?.message).toMatch(/more console call\(s\) dropped/);
  });

  it('an oversized team.memory is refused and the previous memory kept', async () => {
    const { first } = await attack(`class Strategy { generateSignal(team) { team.memory.blob = 'z'.repeat(10 ** 6); return null; } }`);
    expectError(first, ['invalid-result'], /team\.memory serialises to \d+ characters, over the cap/);
    expect(first?.memory).toEqual({});
  });
});

describe('what the isolate can see', () => {
  it('a walk of globalThis finds no isolated-vm object', async () => {
    const { first } = await attack(`class Strategy { generateSignal(team) {
      const seen = new Set();
      const found = [];
      const suspicious = ['applySync', 'applySyncPromise', 'derefInto', 'copySync', 'copyInto', 'getSync', 'setSync', 'compileScriptSync', 'createContextSync', 'release'];
      const queue = [[globalThis, 'globalThis']];
      while (queue.length > 0 && seen.size < 20000) {
        const [value, path] = queue.shift();
        if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
        seen.add(value);
        const name = (() => { try { return Object.prototype.toString.call(value); } catch { return '?'; } })();
        if (/Reference|ExternalCopy|Isolate|Callback|NativeModule/.test(name)) found.push(path + ' ' + name);
        let keys = [];
        try { keys = Reflect.ownKeys(value); } catch {}
        for (const key of keys) {
          if (suspicious.includes(key)) found.push(path + '.' + String(key));
          let desc;
          try { desc = Object.getOwnPropertyDescriptor(value, key); } catch { continue; }
          if (desc === undefined) continue;
          for (const v of [desc.value, desc.get, desc.set]) queue.push([v, path + '.' + String(key)]);
        }
        try { queue.push([Object.getPrototypeOf(value), path + '.__proto__']); } catch {}
      }
      team.memory.found = found;
      team.memory.visited = seen.size;
      return null; } }`);
    expect(first?.error).toBeNull();
    expect(first?.memory).toMatchObject({ found: [] });
    expect((first?.memory as { visited: number }).visited).toBeGreaterThan(500);
  });

  it('real time cannot be learnt', async () => {
    const { results } = await attack(
      `class Strategy { generateSignal(team) {
      const probes = {
        now: Date.now(),
        constructed: new Date().getTime(),
        called: Date(),
        intl: new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(),
        parts: new Intl.DateTimeFormat('en-US', { timeZone: 'UTC', minute: '2-digit' }).formatToParts().map((p) => p.value).join(''),
        viaPrototype: new (Object.getPrototypeOf(new Date()).constructor)().getTime(),
        subclass: new (class extends Date {})().getTime(),
        localeString: new Date().toLocaleTimeString('en-US', { timeZone: 'UTC', hourCycle: 'h23' }),
        hours: new Date().getHours(),
      };
      team.memory.probes = probes;
      return null; } }`,
      2,
    );
    for (const [offset, result] of results.entries()) {
      expect(result.error).toBeNull();
      const probes = (result.memory as { probes: Record<string, unknown> }).probes;
      const now = probes.now as number;
      const time = new Date(now);
      const hhmm = `${String(time.getUTCHours()).padStart(2, '0')}:${String(time.getUTCMinutes()).padStart(2, '0')}`;
      expect(probes.constructed).toBe(now);
      expect(probes.viaPrototype).toBe(now);
      expect(probes.subclass).toBe(now);
      expect(probes.intl).toBe(hhmm);
      expect(probes.localeString).toMatch(new RegExp(`^${hhmm}:00`));
      expect(probes.hours).toBe(time.getUTCHours());
      expect(String(probes.called)).toContain(String(time.getUTCFullYear()));
      if (offset === 1) {
        const previous = (results[0]?.memory as { probes: { now: number } }).probes.now;
        expect(now - previous).toBe(60_000);
      }
    }
  });
});

describe("forging the runtime's own records", () => {
  function expectBounded(result: { logs: Array<{ message: string }>; error: { message: string; stack?: string } | null } | null): void {
    expect(result?.logs.length ?? 0).toBeLessThanOrEqual(51);
    expect((result?.logs ?? []).reduce((sum, line) => sum + line.message.length, 0)).toBeLessThanOrEqual(8192 + 200);
    expect((result?.error?.message.length ?? 0) + (result?.error?.stack?.length ?? 0)).toBeLessThanOrEqual(2000 + 8000 + 300);
  }

  it('toJSON on every prototype cannot replace the log list, the error record or its kind', async () => {
    const { results } = await attack(
      `class Strategy { generateSignal() {
      Object.prototype.toJSON = function () { return { kind: 'crashed', message: 'y'.repeat(1000000) }; };
      Array.prototype.toJSON = function () { return Array.from({ length: 100000 }, () => ({ level: 'log', message: 'forged'.repeat(100) })); };
      String.prototype.toJSON = function () { return 'forged'; };
      for (let i = 0; i < 500; i++) console.log('line', i, 'x'.repeat(1000));
      throw new Error('plain'); } }`,
      2,
    );
    for (const result of results) {
      expectError(result, ['runtime'], /^Error: plain/);
      expectBounded(result);
      expect(result.logs.at(-1)?.message).toMatch(/more console call\(s\) dropped/);
    }
  });

  it('replaced String and Array methods and index setters cannot lift the console caps', async () => {
    const { first } = await attack(`class Strategy { generateSignal() {
      const huge = 'h'.repeat(1000000);
      String.prototype.slice = function () { return huge; };
      String.prototype.substring = function () { return huge; };
      Array.prototype.join = function () { return huge; };
      Object.defineProperty(Array.prototype, '0', { set(v) {}, get() { return huge; }, configurable: true });
      console.log({ a: [1, 2, 3], b: { toString() { return huge; } } }, [huge, huge]);
      console.log(huge + huge);
      return { symbol: 'AAPL', action: 'buy', quantity: 1 }; } }`);
    expectBounded(first);
    expect(first?.error).toBeNull();
    expect(first?.signals).toEqual([{ symbol: 'AAPL', action: 'buy', quantity: 1 }]);
  });

  it("setters on Object.prototype cannot drop the fields of a returned signal (inherited ones are the strategy's own)", async () => {
    const { first } = await attack(`class Strategy { generateSignal() {
      for (const key of ['symbol', 'action', 'quantity', 'reason', '$type', 'level', 'message', 'kind']) {
        Object.defineProperty(Object.prototype, key, { set(v) {}, get() { return 'forged'; }, configurable: true });
      }
      const signal = {};
      Object.defineProperty(signal, 'symbol', { value: 'AAPL', enumerable: true });
      Object.defineProperty(signal, 'action', { value: 'sell', enumerable: true });
      Object.defineProperty(signal, 'quantity', { value: 2, enumerable: true });
      return signal; } }`);
    expect(first?.error).toBeNull();
    // `reason` is inherited from the polluted prototype: the strategy's own choice, read like any property.
    expect(first?.signals).toEqual([{ symbol: 'AAPL', action: 'sell', quantity: 2, reason: 'forged' }]);
  });

  it('an error whose stack getter returns megabytes is clipped', async () => {
    const { first } = await attack(`class Strategy { generateSignal() {
      const e = new Error('m');
      Object.defineProperty(e, 'stack', { get() { return 'Error: m\\n' + ('    at ' + 'f'.repeat(100000) + ' (strategy.bundle.js:1:1)\\n').repeat(50); } });
      throw e; } }`);
    expectError(first, ['runtime']);
    expectBounded(first);
  });

  it.each([
    ['a Date', 'new Date(0)'],
    ['an object whose toJSON returns a number', '({ toJSON() { return 5; } })'],
    ['an array', '[1, 2]'],
    ['a string', "'text'"],
    ['an object holding a NUL', "({ note: 'a\\u0000b' })"],
    ['an object with an unpaired surrogate key', "({ ['k\\ud800']: 1 })"],
  ])('team.memory replaced by %s is refused and the previous memory kept', async (_name, value) => {
    const { results } = await attack(
      `class Strategy { generateSignal(team) {
      if (team.memory.step === undefined) { team.memory.step = 1; return null; }
      team.memory = ${value}; return null; } }`,
      3,
    );
    expect(results[0]?.error).toBeNull();
    for (const result of results.slice(1)) {
      expectError(result, ['invalid-result'], /team\.memory/);
      expect(result.memory).toEqual({ step: 1 });
    }
  });
});
