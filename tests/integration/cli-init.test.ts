/**
 * The strategy loop as a team meets it, in real processes: `qtc init demo`, then inside demo
 * `npx qtc check .` (static and type check) and `npx qtc backtest . --synthetic --report r.html`
 * (a self-contained HTML report), with npx and the system's PATH, not the project's.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../support/tempDir.ts';

const projectRoot = path.resolve(import.meta.dirname, '../..');
const temp = makeTempDir('qtc-init-');
afterAll(() => temp.remove());
const demo = path.join(temp.dir, 'demo');

/** PATH as a team's shell has it: without this project's node_modules/.bin (where Node 24 lives). */
const teamPath = (process.env.PATH ?? '')
  .split(path.delimiter)
  .filter((entry) => !entry.includes('node_modules'))
  .join(path.delimiter);

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, PATH: teamPath, npm_config_yes: 'false', npm_config_offline: 'true' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

const qtcInit = (...args: string[]) => run(process.execPath, ['--no-node-snapshot', path.join(projectRoot, 'bin/qtc.js'), 'init', ...args], temp.dir);

describe('qtc init, check and backtest --report', { timeout: 180_000 }, () => {
  it('scaffolds a strategy repository with the SDK types, scripts and links', async () => {
    const init = await qtcInit('demo');
    expect(init, init.stderr).toMatchObject({ code: 0 });
    expect(init.stdout).toContain('npx qtc check .');
    for (const file of [
      'strategy.ts',
      'tsconfig.json',
      'README.md',
      'package.json',
      '.gitignore',
      'types/qtc.d.ts',
      'types/sandbox.d.ts',
      '.git',
      'node_modules/.bin/qtc',
      'node_modules/.bin/node',
    ]) {
      expect(existsSync(path.join(demo, file)), file).toBe(true);
    }
    expect(readFileSync(path.join(demo, 'types/qtc.d.ts'), 'utf8')).toBe(readFileSync(path.join(projectRoot, 'sandbox/sdk/qtc.d.ts'), 'utf8'));
    const tsconfig = readFileSync(path.join(demo, 'tsconfig.json'), 'utf8');
    expect(tsconfig).toContain('"qtc": ["./types/qtc.d.ts"]');
    const pkg = JSON.parse(readFileSync(path.join(demo, 'package.json'), 'utf8')) as { scripts: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.scripts).toMatchObject({ check: 'qtc check .', backtest: 'qtc backtest . --synthetic --report report.html' });
    expect(pkg.devDependencies.qtc).toBe(`file:${path.relative(demo, projectRoot)}`);
    expect(readFileSync(path.join(demo, '.gitignore'), 'utf8')).toContain('node_modules/');
    // Never over an existing folder's files.
    const again = await qtcInit('demo');
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('already exists and is not empty');
  });

  it('npx qtc check . passes the scaffold; npx qtc backtest . --synthetic --report r.html writes a self-contained report', async () => {
    const check = await run('npx', ['qtc', 'check', '.'], demo);
    expect(check, check.stderr).toMatchObject({ code: 0 });
    expect(check.stdout).toBe('.: passes the static check and the type check (1 file: strategy.ts)\n');

    const backtest = await run('npx', ['qtc', 'backtest', '.', '--synthetic', '--days', '2', '--report', 'r.html'], demo);
    expect(backtest, backtest.stderr).toMatchObject({ code: 0 });
    expect(backtest.stderr).toContain('wrote r.html');
    const html = readFileSync(path.join(demo, 'r.html'), 'utf8');
    for (const part of [
      '<title>QTC backtest: demo</title>',
      '<h2>Summary</h2>',
      '<h3>Equity</h3>',
      '<h3>Drawdown</h3>',
      '<h3>Per symbol</h3>',
      '<h3>Trades',
      'Sharpe',
      'Max drawdown',
      '<svg class="chart"',
      'class="marker buy"',
    ]) {
      expect(html, part).toContain(part);
    }
    expect(html).toContain('synthetic, 2 days, 10 symbols, seed 1');
    // Self-contained: nothing fetched from anywhere.
    expect(html).not.toMatch(/https?:\/\//);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/);
    expect(html).not.toMatch(/\b(src|href)=/);
  });

  it("qtc check reports action: 'hold' and sma(x, 'ten') as type findings at file:line:column (exit 1)", async () => {
    const source = readFileSync(path.join(demo, 'strategy.ts'), 'utf8');
    const broken = source.replace("action: 'buy'", "action: 'hold'").replace('sma(close, this.fast)', "sma(close, 'ten')");
    expect(broken).not.toBe(source);
    writeFileSync(path.join(demo, 'strategy.ts'), broken);
    const lineOf = (needle: string) => broken.split('\n').findIndex((line) => line.includes(needle)) + 1;

    const json = await run('npx', ['qtc', 'check', '.', '--json'], demo);
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { ok: boolean; errors: Array<{ file: string; line: number; column: number; rule: string; message: string }> };
    expect(report.ok).toBe(false);
    expect(report.errors.map((error) => [error.file, error.line, error.rule])).toEqual([
      ['strategy.ts', lineOf("'ten'"), 'types'],
      ['strategy.ts', lineOf("'hold'"), 'types'],
    ]);
    expect(report.errors[0]!.column).toBe(broken.split('\n')[lineOf("'ten'") - 1]!.indexOf("'ten'") + 1);
    expect(report.errors[1]!.message).toContain('"hold"');

    const text = await run('npx', ['qtc', 'check', '.'], demo);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`strategy.ts:${lineOf("'hold'")}:`);
    expect(text.stdout).toContain('.: 2 problems in 1 file');
    // --no-types: the static check alone, as the server runs it.
    expect((await run('npx', ['qtc', 'check', '.', '--no-types'], demo)).code).toBe(0);
  });
});
