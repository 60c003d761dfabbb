import { describe, expect, it } from 'vitest';
import { checkStrategy, RULE_IDS, RULES, type RuleId } from '../../../loaders/index.ts';
import { makeStrategyFolder, MINIMAL_CLASS } from './strategyFixture.ts';

// Snippets start on line 3, after this header, so line numbers are checked too.
const HEADER = '// a strategy\n// under test\n';
const SNIPPET_LINE = 3;

interface RuleCase {
  name: string;
  code: string;
  rule: RuleId;
  /** Text at the reported position (its first occurrence in the snippet). */
  at: string;
  file?: 'strategy.ts' | 'strategy.js';
}

const CASES: RuleCase[] = [
  { name: 'a parse error', code: 'let a = ;', rule: 'syntax', at: ';' },
  { name: 'require()', code: "const fs = require('fs');", rule: 'no-require', at: 'require' },
  { name: 'import = require()', code: "import fs = require('fs');", rule: 'no-require', at: 'import' },
  { name: 'import()', code: "const m = import('./lib.ts');", rule: 'no-dynamic-import', at: 'import' },
  { name: 'import.meta', code: 'const u = import.meta.url;', rule: 'no-import-meta', at: 'import' },
  { name: 'eval', code: "const r = eval('1 + 1');", rule: 'no-eval', at: 'eval' },
  { name: 'new Function', code: "const f = new Function('return 1');", rule: 'no-function-constructor', at: 'Function' },
  { name: 'Function called', code: "const f = Function('return 1');", rule: 'no-function-constructor', at: 'Function' },
  { name: 'with (in JavaScript)', code: 'with (Math) { max(1, 2); }', rule: 'no-with', at: 'with', file: 'strategy.js' },
  { name: '.constructor', code: 'const F = (() => 1).constructor;', rule: 'no-constructor-access', at: 'constructor' },
  { name: "['constructor']", code: "const F = []['constructor'];", rule: 'no-constructor-access', at: "'constructor'" },
  { name: '[`constructor`]', code: 'const F = [][`constructor`];', rule: 'no-constructor-access', at: '`constructor`' },
  { name: "['constr' + `uctor`]", code: "const F = []['constr' + `uctor`];", rule: 'no-constructor-access', at: "'constr'" },
  { name: '?.constructor', code: 'const F = [1]?.constructor;', rule: 'no-constructor-access', at: 'constructor' },
  { name: 'destructured constructor', code: 'const { constructor: F } = [];', rule: 'no-constructor-access', at: 'constructor' },
  { name: 'destructured constructor (shorthand)', code: 'const { constructor } = [];', rule: 'no-constructor-access', at: 'constructor' },
  { name: '.__proto__', code: 'const p = ({}).__proto__;', rule: 'no-proto-access', at: '__proto__' },
  { name: '__proto__ key in a literal', code: 'const o = { __proto__: null };', rule: 'no-proto-access', at: '__proto__' },
  { name: '.prototype', code: 'const push = Array.prototype.push;', rule: 'no-prototype-access', at: 'prototype' },
  { name: "['prototype']", code: "const p = Array['proto' + 'type'];", rule: 'no-prototype-access', at: "'proto'" },
  { name: 'Object.getPrototypeOf', code: 'const p = Object.getPrototypeOf([]);', rule: 'no-prototype-access', at: 'getPrototypeOf' },
  { name: 'a getter in a literal', code: 'const o = { get x() { return 1; } };', rule: 'no-getter-setter', at: 'get' },
  { name: 'a setter in a class', code: 'class A { set v(x: number) {} }', rule: 'no-getter-setter', at: 'set' },
  { name: 'a static getter', code: 'class A { static get v() { return 1; } }', rule: 'no-getter-setter', at: 'static' },
  { name: 'Object.defineProperty', code: "Object.defineProperty({}, 'x', { value: 1 });", rule: 'no-getter-setter', at: 'defineProperty' },
  { name: '__defineGetter__', code: "const o = {}; o.__defineGetter__('x', () => 1);", rule: 'no-getter-setter', at: '__defineGetter__' },
  { name: 'Object.create with descriptors', code: 'const o = Object.create(null, {});', rule: 'no-getter-setter', at: 'create' },
  { name: 'Proxy', code: 'const p = new Proxy({}, {});', rule: 'no-proxy', at: 'Proxy' },
  { name: 'Reflect', code: 'const k = Reflect.ownKeys({});', rule: 'no-reflect', at: 'Reflect' },
  { name: 'globalThis', code: 'const g = globalThis;', rule: 'no-global-object', at: 'globalThis' },
  { name: 'global', code: 'const g = global;', rule: 'no-global-object', at: 'global' },
  { name: 'self', code: 'const s = [self];', rule: 'no-global-object', at: 'self' },
  { name: 'window', code: 'const w = window;', rule: 'no-global-object', at: 'window' },
  { name: 'process', code: 'const e = process.env;', rule: 'no-process', at: 'process' },
  { name: 'process in a shorthand property', code: 'const o = { process };', rule: 'no-process', at: 'process' },
  { name: 'SharedArrayBuffer', code: 'const b = new SharedArrayBuffer(8);', rule: 'no-shared-memory', at: 'SharedArrayBuffer' },
  { name: 'Atomics', code: 'const a = Atomics;', rule: 'no-shared-memory', at: 'Atomics' },
  { name: 'WebAssembly', code: 'const w = WebAssembly;', rule: 'no-webassembly', at: 'WebAssembly' },
  { name: 'arguments.callee', code: 'function f() { return arguments.callee; }', rule: 'no-arguments-callee', at: 'callee' },
  { name: "arguments['callee']", code: "function f() { return arguments['callee']; }", rule: 'no-arguments-callee', at: "'callee'" },
];

async function checkSnippet(code: string, file: 'strategy.ts' | 'strategy.js' = 'strategy.ts') {
  return checkStrategy(makeStrategyFolder({ [file]: `${HEADER}${code}\n${MINIMAL_CLASS}` }));
}

describe('static check rules', () => {
  it.each(CASES)('reports $name as $rule at its position', async ({ code, rule, at, file }) => {
    const report = await checkSnippet(code, file);
    expect(code).toContain(at);
    expect(report.ok).toBe(false);
    expect(report.errors).toEqual([
      {
        file: file ?? 'strategy.ts',
        line: SNIPPET_LINE,
        column: code.indexOf(at) + 1,
        rule,
        message: expect.any(String) as string,
        hint: RULES[rule].hint,
      },
    ]);
    expect(report.errors[0]?.message.length).toBeGreaterThan(10);
  });

  it('has a summary and a hint for every rule id', () => {
    for (const id of RULE_IDS) {
      expect(RULES[id].summary.length).toBeGreaterThan(10);
      expect(RULES[id].hint.length).toBeGreaterThan(10);
    }
  });

  it('does not accept a banned global name because a local shadows it', async () => {
    const report = await checkSnippet('function f(Proxy: number) { return Proxy + 1; }');
    expect(report.errors.map((error) => [error.rule, error.column])).toEqual([
      ['no-proxy', 12],
      ['no-proxy', 36],
    ]);
  });

  it('reports every finding of a file, sorted by position', async () => {
    const report = await checkSnippet('const a = eval;\nconst b = globalThis.process;');
    expect(report.errors.map((error) => [error.line, error.column, error.rule])).toEqual([
      [3, 11, 'no-eval'],
      [4, 11, 'no-global-object'],
    ]);
  });

  it('accepts ordinary code that merely resembles banned constructs', async () => {
    const code = [
      'class A { x: number; constructor(x: number) { this.x = x; } method() { return this.x; } static make() { return new A(1); } }',
      'const o = { eval: 1, constructor: 2, prototype: 3, process: 4, get: 5, set: 6 };',
      'const v = o.eval + o.process + o.get + o.set + A.make().method();',
      'let f: Function | null = null;',
      'type G = typeof globalThis;',
      'interface P { proxy: Proxy<object>; r: typeof Reflect }',
      'outer: for (const i of [1, 2]) { if (i > 1) break outer; }',
      'const { a, b: [c] } = { a: 1, b: [2] };',
      "const key = 'x'; const dynamic = (o as Record<string, unknown>)[key];",
      'const m = new Map<string, number>(); m.set("a", 1); m.get("a");',
      'const s = `value ${v} ${a} ${c} ${String(f)} ${String(dynamic)}`;',
      'export const descriptor = { value: s };',
    ].join('\n');
    const report = await checkSnippet(code);
    expect(report.errors).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
