// The isolate script built from sandbox/runtime/*.ts: no esbuild helper (a helper looks up
// intrinsics when called, after strategy code may have replaced them), strict, nothing leaked to
// the global scope, and built from the runtime modules alone.
import { readdirSync, readFileSync } from 'node:fs';
import ivm from 'isolated-vm';
import { afterAll, describe, expect, it } from 'vitest';
import { buildRuntimeSource, runtimeSource } from '../../../sandbox/child/runtimeSource.ts';
import { createStackMapper, RUNTIME_FILENAME } from '../../../sandbox/stackMap.ts';

const RUNTIME_DIR = new URL('../../../sandbox/runtime/', import.meta.url);
const source = runtimeSource();

const isolates: ivm.Isolate[] = [];
afterAll(() => {
  for (const isolate of isolates) isolate.dispose();
});
function freshContext(): ivm.Context {
  const isolate = new ivm.Isolate({ memoryLimit: 32 });
  isolates.push(isolate);
  return isolate.createContextSync();
}
const globalNames = (context: ivm.Context): string[] => JSON.parse(context.evalSync('JSON.stringify(Object.getOwnPropertyNames(globalThis))') as string) as string[];

describe('the sandbox runtime script', () => {
  it('is what a fresh build gives (the file cache holds the current sources) and the same string on every call', () => {
    expect(buildRuntimeSource()).toBe(source);
    expect(runtimeSource()).toBe(source);
  });

  it('is ASCII text without comments or indentation: every isolate keeps it, one byte a character', () => {
    expect([...source].every((char) => char.charCodeAt(0) < 128)).toBe(true);
    expect(source).not.toMatch(/\n[ \t]+\S/);
    expect(source).not.toMatch(/^\s*\/\//m);
    // Characters outside ASCII in the runtime's messages are escaped in the text, not lost.
    const context = freshContext();
    const entry = context.evalSync(source, { reference: true }) as ivm.Reference<Record<string, unknown>>;
    const construct = entry.getSync('construct', { reference: true }) as ivm.Reference<() => string>;
    expect(construct.applySync(undefined, [])).toContain('generateSignal(team, bars, currentPrices) { \u2026 }');
  });

  it('declares no esbuild helper: the only double-underscore name is the strategy namespace it reads', () => {
    const names = new Set(source.match(/\b__[A-Za-z0-9_$]*/g) ?? []);
    expect([...names]).toEqual(['__qtcStrategy']);
    expect(source).not.toMatch(/\b(?:var|let|const|function)\s+__/);
  });

  it('is one strict function whose completion value is the frozen entry-point object', () => {
    expect(source.startsWith("(function qtcRuntime() {\n'use strict';\n")).toBe(true);
    const shape = freshContext().evalSync(
      `(() => { const e = (${source.trimEnd().replace(/;$/, '')}); return JSON.stringify([Object.keys(e), Object.isFrozen(e)]); })()`,
    ) as string;
    expect(JSON.parse(shape)).toEqual([['setup', 'construct', 'run'], true]);
  });

  it('leaks nothing to the global scope but require and console, and removes the blocked capabilities', () => {
    const bare = globalNames(freshContext());
    const context = freshContext();
    context.evalSync(source);
    const after = globalNames(context);
    expect(after.filter((name) => !bare.includes(name)).sort()).toEqual(['console', 'require'].filter((name) => !bare.includes(name)));
    expect(bare.filter((name) => !after.includes(name)).sort()).toEqual(['Atomics', 'FinalizationRegistry', 'SharedArrayBuffer', 'WeakRef', 'WebAssembly', 'eval']);
    // Strict functions have no readable caller: none of the runtime's hands a frame to user code.
    expect(context.evalSync(`(() => { try { return String(require.caller); } catch (e) { return e.name; } })()`)).toBe('TypeError');
    expect(context.evalSync(`require.name + ' ' + Date.name + ' ' + require('qtc').RollingSma.name`)).toBe('require QtcDate RollingSma');
  });

  it('shows in stacks as named frames of its own file, which the stack mapper drops: teams see their lines only', () => {
    const isolate = new ivm.Isolate({ memoryLimit: 32 });
    isolates.push(isolate);
    const context = isolate.createContextSync();
    isolate.compileScriptSync(source, { filename: RUNTIME_FILENAME }).runSync(context, { reference: true }).release();
    const stack = isolate
      .compileScriptSync(`(() => { try { require('qtc').sma([1], 0); } catch (e) { return e.stack; } })()`, { filename: 'strategy.bundle.js' })
      .runSync(context) as string;
    const frames = stack.split('\n').slice(1);
    expect(frames[0]).toMatch(new RegExp(`^ {4}at checkPeriod \\(${RUNTIME_FILENAME}:\\d+:\\d+\\)$`));
    expect(frames[1]).toMatch(new RegExp(`^ {4}at Object\\.sma \\(${RUNTIME_FILENAME}:\\d+:\\d+\\)$`));
    const mapped = createStackMapper('strategy.bundle.js', '').mapStack(stack);
    expect(mapped.split('\n')).toEqual(['RangeError: sma: period must be a positive integer, got 0', '    at strategy.bundle.js:1:31', '    at strategy.bundle.js:1:78']);
  });

  it('is built from the runtime modules alone: they import only each other', () => {
    const files = readdirSync(RUNTIME_DIR).filter((name) => name.endsWith('.ts'));
    expect(files).toContain('entry.ts');
    for (const name of files) {
      const text = readFileSync(new URL(name, RUNTIME_DIR), 'utf8');
      const specifiers = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s+'([^']+)'/gm)].map((match) => match[1]);
      for (const specifier of specifiers) expect(specifier, `${name} imports ${specifier}`).toMatch(/^\.\/[A-Za-z]+\.ts$/);
    }
  });
});
