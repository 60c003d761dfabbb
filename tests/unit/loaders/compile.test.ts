import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { compileStrategy, originalPosition, StrategyCompileError, type CompiledStrategy } from '../../../loaders/index.ts';
import { makeStrategyFolder } from './strategyFixture.ts';

/** A stand-in for the sandbox's SDK object: just enough for the strategies under test. */
const fakeSdk = {
  sma: (values: ArrayLike<number>, period: number): number | null => {
    if (values.length < period) return null;
    let sum = 0;
    for (let i = values.length - period; i < values.length; i++) sum += values[i] ?? 0;
    return sum / period;
  },
};

interface StrategyInstance {
  generateSignal(team: unknown, bars: unknown, prices: unknown): unknown;
}
type StrategyClass = new (params: Record<string, unknown>) => StrategyInstance;

/** Evaluates the bundle the way the sandbox does: a classic script with a global `require` answering only 'qtc'. */
function evaluate(compiled: CompiledStrategy): { strategyClass: StrategyClass; requested: string[] } {
  const requested: string[] = [];
  const context = vm.createContext({
    require: (specifier: string) => {
      requested.push(specifier);
      if (specifier === 'qtc') return fakeSdk;
      throw new Error(`no module ${specifier}`);
    },
  });
  vm.runInContext(compiled.code, context, { filename: compiled.filename });
  const exported = vm.runInContext('__qtcStrategy.default', context) as unknown;
  if (typeof exported !== 'function') throw new Error('no default export');
  return { strategyClass: exported as StrategyClass, requested };
}

const MULTI_FILE = {
  'strategy.ts': [
    "import { sma } from 'qtc';",
    "import { sizeFor } from './lib/sizing.ts';",
    "import { describe as label } from './lib/text';",
    'export default class Strategy {',
    '  private readonly period: number;',
    '  constructor(params: Record<string, unknown>) { this.period = Number(params.period ?? 2); }',
    '  generateSignal(team: { cash: number }, bars: { X: { close: number[] } }, prices: { X: number }) {',
    '    const average = sma(bars.X.close, this.period);',
    '    if (average === null) return null;',
    "    return { symbol: 'X', action: 'buy', quantity: sizeFor(team.cash, prices.X), reason: label(average) };",
    '  }',
    '}',
  ].join('\n'),
  'lib/sizing.ts': 'export function sizeFor(cash: number, price: number): number {\n  return Math.floor(cash / price);\n}\n',
  'lib/text.js': 'export function describe(value) {\n  return `average ${value}`;\n}\n',
};

describe('compileStrategy', () => {
  it('bundles a multi-file TypeScript strategy into one IIFE whose default export is the class', async () => {
    const compiled = await compileStrategy(makeStrategyFolder(MULTI_FILE));
    expect(compiled.filename).toBe('strategy.bundle.js');
    expect(compiled.code.startsWith('var __qtcStrategy = (() => {')).toBe(true);
    expect(compiled.code).not.toMatch(/^\s*(import|export)\s/m);

    const { strategyClass, requested } = evaluate(compiled);
    expect(requested).toEqual(['qtc']);
    const strategy = new strategyClass({ period: 2 });
    expect(strategy.generateSignal({ cash: 1000 }, { X: { close: [1, 3, 5] } }, { X: 30 })).toEqual({
      symbol: 'X',
      action: 'buy',
      quantity: 33,
      reason: 'average 4',
    });
  });

  it('produces a source map with sources relative to the folder and their contents', async () => {
    const compiled = await compileStrategy(makeStrategyFolder(MULTI_FILE));
    const map = JSON.parse(compiled.sourceMap) as { version: number; sources: string[]; sourcesContent: string[] };
    expect(map.version).toBe(3);
    expect([...map.sources].sort()).toEqual(['lib/sizing.ts', 'lib/text.js', 'strategy.ts']);
    expect(map.sourcesContent[map.sources.indexOf('lib/sizing.ts')]).toBe(MULTI_FILE['lib/sizing.ts']);
  });

  it('maps a runtime error in the bundle back to the author’s file and line', async () => {
    const compiled = await compileStrategy(
      makeStrategyFolder({
        'strategy.ts': "import { check } from './lib/check.ts';\nexport default class S {\n  generateSignal() {\n    return check(-1);\n  }\n}\n",
        'lib/check.ts': [
          '// validation helpers',
          'export function check(value: number): number {',
          '  if (value < 0) {',
          "    throw new Error('negative value');",
          '  }',
          '  return value;',
          '}',
        ].join('\n'),
      }),
    );
    const { strategyClass } = evaluate(compiled);
    let stack = '';
    try {
      new strategyClass({}).generateSignal(null, null, null);
    } catch (error) {
      stack = (error as Error).stack ?? '';
    }
    const frame = /strategy\.bundle\.js:(\d+):(\d+)/.exec(stack);
    expect(frame, stack).not.toBeNull();
    const position = originalPosition(compiled, Number(frame?.[1]), Number(frame?.[2]));
    expect(position).toMatchObject({ file: 'lib/check.ts', line: 4 });
  });

  it('ignores a tsconfig.json in the strategy folder', async () => {
    const compiled = await compileStrategy(
      makeStrategyFolder({
        'strategy.ts': 'export default class S { field = 1; generateSignal() { return null; } }',
        'tsconfig.json': '{ "compilerOptions": { "useDefineForClassFields": false, "target": "es5" } }',
      }),
    );
    expect(compiled.code).toMatch(/^\s+field = 1;$/m);
  });

  it('reports a syntax error with file, line and column', async () => {
    const compile = compileStrategy(makeStrategyFolder({ 'strategy.ts': 'export default class S {}\nconst x = ;\n' }));
    await expect(compile).rejects.toBeInstanceOf(StrategyCompileError);
    const error = (await compile.catch((e: unknown) => e)) as StrategyCompileError;
    expect(error.problems[0]).toMatchObject({ file: 'strategy.ts', line: 2, column: 11 });
    expect(error.message).toContain('strategy.ts:2:11');
  });

  it.each([
    ["import { x } from '../outside.ts';", /outside the strategy folder/],
    ["import x from 'node:fs';", /packages and Node\.js built-in modules/],
    ["import x from 'left-pad';", /packages/],
    ["import x from '/etc/hosts';", /absolute paths/],
  ])('refuses to bundle %s even without the static check', async (importLine, message) => {
    const dir = makeStrategyFolder({ 'strategy.ts': `${importLine}\nexport default class S { generateSignal() { return x; } }\n` }, { 'outside.ts': 'export const x = 1;' });
    const error = (await compileStrategy(dir).catch((e: unknown) => e)) as StrategyCompileError;
    expect(error).toBeInstanceOf(StrategyCompileError);
    expect(error.problems[0]).toMatchObject({ file: 'strategy.ts', line: 1 });
    expect(error.message).toMatch(message);
  });

  it('reports a missing entry', async () => {
    await expect(compileStrategy(makeStrategyFolder({ 'main.ts': '' }))).rejects.toThrow(/neither strategy\.ts nor strategy\.js/);
  });
});
