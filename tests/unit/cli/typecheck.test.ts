/** `qtc check`'s type check: findings at the author's file:line:column against the SDK's types. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { typeCheckStrategy } from '../../../server/cli/typecheck/typeCheck.ts';
import { makeTempDir } from '../../support/tempDir.ts';

const temp = makeTempDir('qtc-typecheck-');
afterAll(() => temp.remove());

let folders = 0;
function strategy(files: Record<string, string>): string {
  const dir = path.join(temp.dir, `s${(folders += 1)}`);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

/** An unannotated strategy, as a team writing plain JavaScript-style TypeScript would. */
const LOOSE = `import { sma } from 'qtc';

export default class Strategy {
  constructor(params) {}
  generateSignal(team, bars, currentPrices) {
    const close = bars.SPY?.close;
    if (!close) return null;
    const fast = sma(close, 'ten');
    console.log('fast', fast, currentPrices.SPY);
    if (fast === null) return null;
    return { symbol: 'SPY', action: 'hold', quantity: 1 };
  }
}
`;

describe('type check of a TypeScript strategy', () => {
  it("finds action: 'hold' and sma(x, 'ten') even without annotations, at the author's line and column", async () => {
    const findings = await typeCheckStrategy(strategy({ 'strategy.ts': LOOSE }), 'strategy.ts');
    expect(findings.map(({ file, line, column, rule }) => ({ file, line, column, rule }))).toEqual([
      { file: 'strategy.ts', line: 8, column: 29, rule: 'types' },
      { file: 'strategy.ts', line: 11, column: 5, rule: 'types' },
    ]);
    expect(findings[0]!.message).toBe("Argument of type 'string' is not assignable to parameter of type 'number'. (TS2345)");
    expect(findings[1]!.message).toContain(`Type '"hold"' is not assignable to type '"buy" | "sell"`);
    expect(findings[1]!.hint).toContain("action: 'buy' | 'sell'");
  });

  it('passes a correct strategy, annotated or not, with console and helper files', async () => {
    const annotated = strategy({
      'strategy.ts': `import type { Bars, Signal, Team } from 'qtc';\nimport { size } from './lib/size.ts';\nexport default class S {\n  generateSignal(team: Team, bars: Bars, prices: Record<string, number>): Signal | null {\n    console.info(team.id);\n    const p = prices.SPY;\n    return p === undefined ? null : { symbol: 'SPY', action: 'buy', quantity: size(team.cash, p) };\n  }\n}\n`,
      'lib/size.ts': 'export function size(cash: number, price: number): number {\n  return Math.max(1, Math.floor(cash / price / 10));\n}\n',
    });
    expect(await typeCheckStrategy(annotated, 'strategy.ts')).toEqual([]);
    const loose = strategy({
      'strategy.ts': `class S {\n  generateSignal(team, bars) {\n    return bars.SPY ? [{ symbol: 'SPY', action: 'sell', quantity: 1, reason: 'r' }] : null;\n  }\n}\nexport default S;\n`,
    });
    expect(await typeCheckStrategy(loose, 'strategy.ts')).toEqual([]);
  });

  it('reports errors in imported files, and an export that does not fit the contract', async () => {
    const dir = strategy({
      'strategy.ts': `import { pick } from './lib/pick.ts';\nexport default class S {\n  generateSignal(): string {\n    return pick();\n  }\n}\n`,
      'lib/pick.ts': `export function pick(): string {\n  const n: number = 'x';\n  return String(n);\n}\n`,
    });
    const findings = await typeCheckStrategy(dir, 'strategy.ts');
    expect(findings.map((f) => `${f.file}:${f.line}:${f.column}`)).toEqual(['lib/pick.ts:2:9', 'strategy.ts:2:1']);
    expect(findings[1]!.message).toContain('the default export does not fit the strategy contract');
  });

  it('knows what the sandbox lacks: no DOM, no Node.js, no timers', async () => {
    const dir = strategy({ 'strategy.ts': `export default class S {\n  generateSignal() {\n    setTimeout(() => 1, 5);\n    return null;\n  }\n}\n` });
    const [finding] = await typeCheckStrategy(dir, 'strategy.ts');
    expect(finding).toMatchObject({ line: 3, column: 5, message: "Cannot find name 'setTimeout'. (TS2304)" });
  });

  it('leaves JavaScript strategies to the static check', async () => {
    expect(await typeCheckStrategy(strategy({ 'strategy.js': 'export default class S { generateSignal() { return { action: "hold" }; } }\n' }), 'strategy.js')).toEqual([]);
  });
});
