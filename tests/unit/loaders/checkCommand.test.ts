import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeStrategyFolder, MINIMAL_CLASS } from './strategyFixture.ts';

const REPO = path.resolve(import.meta.dirname, '../../..');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `qtc check …` as a team would, in its own process. */
function qtcCheck(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'check', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('qtc check', () => {
  it('exits 0 and prints {"ok":true,"errors":[]} for a clean strategy', async () => {
    const run = await qtcCheck('examples/strategies/momentum', '--json');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, errors: [] });
  });

  it('exits 1 with findings, each exactly {file, line, column, rule, message, hint}', async () => {
    const dir = makeStrategyFolder({ 'strategy.ts': `const f = eval;\n${MINIMAL_CLASS}`, 'lib/a.ts': '' });
    const run = await qtcCheck(dir, '--json');
    expect(run.code).toBe(1);
    const output = JSON.parse(run.stdout) as { ok: boolean; errors: Record<string, unknown>[] };
    expect(Object.keys(output)).toEqual(['ok', 'errors']);
    expect(output.ok).toBe(false);
    expect(output.errors).toHaveLength(1);
    expect(Object.keys(output.errors[0] ?? {})).toEqual(['file', 'line', 'column', 'rule', 'message', 'hint']);
    expect(output.errors[0]).toMatchObject({ file: 'strategy.ts', line: 1, column: 11, rule: 'no-eval' });
  });

  it('prints file:line:column  rule  message, a hint and a summary for people', async () => {
    const dir = makeStrategyFolder({ 'strategy.ts': `import './lib/a.ts';\n${MINIMAL_CLASS}`, 'lib/a.ts': 'export const p = new Proxy({}, {});\nexport const r = Reflect;\n' });
    const run = await qtcCheck(dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`${path.join(dir, 'lib/a.ts')}:1:22  no-proxy  `);
    expect(run.stdout).toContain(`${path.join(dir, 'lib/a.ts')}:2:18  no-reflect  `);
    expect(run.stdout).toMatch(/^ {4}hint: /m);
    expect(run.stdout).toContain('2 problems in 1 file');
  });

  it('takes another entry with --entry', async () => {
    const dir = makeStrategyFolder({ 'src/main.js': MINIMAL_CLASS });
    expect((await qtcCheck(dir, '--json')).code).toBe(1);
    const run = await qtcCheck(dir, '--entry', 'src/main.js', '--json');
    expect(run.code).toBe(0);
  });

  it('exits 2 with one line on stderr when the folder does not exist', async () => {
    const run = await qtcCheck('/nonexistent/strategy', '--json');
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe('qtc: strategy folder /nonexistent/strategy does not exist\n');
  });
});
