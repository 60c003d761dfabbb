import { describe, expect, it } from 'vitest';
import { checkStrategy, DEFAULT_CHECK_LIMITS, StrategyFolderError } from '../../../loaders/index.ts';
import { makeStrategyFolder, MINIMAL_CLASS } from './strategyFixture.ts';

describe('entry', () => {
  it('uses strategy.js when there is no strategy.ts', async () => {
    const report = await checkStrategy(makeStrategyFolder({ 'strategy.js': MINIMAL_CLASS }));
    expect(report).toMatchObject({ ok: true, entry: 'strategy.js', files: ['strategy.js'] });
  });

  it('reports a folder without entry', async () => {
    const report = await checkStrategy(makeStrategyFolder({ 'main.ts': MINIMAL_CLASS }));
    expect(report).toMatchObject({ ok: false, entry: null, files: [] });
    expect(report.errors).toMatchObject([{ rule: 'entry-missing', file: 'strategy.ts', line: 1, column: 1 }]);
    expect(report.errors[0]?.message).toContain('strategy.js');
  });

  it('reports both strategy.ts and strategy.js as ambiguous', async () => {
    const report = await checkStrategy(makeStrategyFolder({ 'strategy.ts': MINIMAL_CLASS, 'strategy.js': MINIMAL_CLASS }));
    expect(report.errors).toMatchObject([{ rule: 'entry-ambiguous' }]);
    expect(report.entry).toBeNull();
  });

  it('takes an explicitly named entry', async () => {
    const report = await checkStrategy(makeStrategyFolder({ 'src/main.ts': MINIMAL_CLASS, 'strategy.ts': 'eval(1)' }), { entry: 'src/main.ts' });
    expect(report).toEqual({ ok: true, entry: 'src/main.ts', files: ['src/main.ts'], errors: [] });
  });

  it('refuses an explicit entry outside the folder or of another type', async () => {
    const dir = makeStrategyFolder({ 'notes.txt': 'x' }, { 'other.ts': MINIMAL_CLASS });
    for (const entry of ['../other.ts', 'notes.txt', 'missing.ts']) {
      const report = await checkStrategy(dir, { entry });
      expect(report.errors).toMatchObject([{ rule: 'entry-missing', file: entry }]);
    }
  });

  it('requires a default export from the entry (only from the entry)', async () => {
    const missing = await checkStrategy(makeStrategyFolder({ 'strategy.ts': "import './lib.ts';\nexport class Strategy {}\n", 'lib.ts': 'export const x = 1;' }));
    expect(missing.errors).toEqual([expect.objectContaining({ rule: 'entry-default-export', file: 'strategy.ts', line: 1, column: 1 })]);
    const renamed = await checkStrategy(makeStrategyFolder({ 'strategy.ts': 'class S {}\nexport { S as default };\n' }));
    expect(renamed.ok).toBe(true);
    const reexported = await checkStrategy(makeStrategyFolder({ 'strategy.ts': "export { default } from './impl.ts';\n", 'impl.ts': MINIMAL_CLASS }));
    expect(reexported.ok).toBe(true);
  });

  it('throws StrategyFolderError for a folder that does not exist', async () => {
    await expect(checkStrategy('/nonexistent/strategy-folder')).rejects.toBeInstanceOf(StrategyFolderError);
  });
});

describe('limits', () => {
  const importsOf = (count: number) => Array.from({ length: count }, (_, i) => `import './m${i}.ts';`).join('\n') + `\n${MINIMAL_CLASS}`;
  const modules = (count: number, body = 'export const x = 1;') => Object.fromEntries(Array.from({ length: count }, (_, i) => [`m${i}.ts`, body]));

  it('has sensible defaults', () => {
    expect(DEFAULT_CHECK_LIMITS.maxFileBytes).toBeGreaterThanOrEqual(64 * 1024);
    expect(DEFAULT_CHECK_LIMITS.maxTotalBytes).toBeGreaterThanOrEqual(DEFAULT_CHECK_LIMITS.maxFileBytes);
    expect(DEFAULT_CHECK_LIMITS.maxFiles).toBeGreaterThanOrEqual(16);
  });

  it('limits the bytes of one file', async () => {
    const dir = makeStrategyFolder({ 'strategy.ts': `${MINIMAL_CLASS}// ${'x'.repeat(200)}\n` });
    const report = await checkStrategy(dir, { limits: { maxFileBytes: 100 } });
    expect(report.errors).toMatchObject([{ rule: 'max-file-bytes', file: 'strategy.ts', line: 1, column: 1 }]);
    expect(report.errors[0]?.message).toContain('limit 100');
  });

  it('limits the bytes of all files together', async () => {
    const dir = makeStrategyFolder({ 'strategy.ts': importsOf(3), ...modules(3, `export const x = '${'y'.repeat(100)}';`) });
    const report = await checkStrategy(dir, { limits: { maxTotalBytes: 300 } });
    expect(report.errors).toMatchObject([{ rule: 'max-total-bytes' }]);
  });

  it('limits the number of files, reporting at the import that goes over', async () => {
    const dir = makeStrategyFolder({ 'strategy.ts': importsOf(5), ...modules(5) });
    const report = await checkStrategy(dir, { limits: { maxFiles: 3 } });
    expect(report.errors).toEqual([expect.objectContaining({ rule: 'max-files', file: 'strategy.ts', line: 3, column: 8 })]);
    expect(report.files).toHaveLength(3);
  });

  it('limits the number of syntax nodes', async () => {
    const dir = makeStrategyFolder({ 'strategy.ts': `export const table = [${Array.from({ length: 500 }, (_, i) => i).join(', ')}];\n${MINIMAL_CLASS}` });
    const report = await checkStrategy(dir, { limits: { maxAstNodes: 400 } });
    expect(report.errors).toMatchObject([{ rule: 'max-ast-nodes', file: 'strategy.ts' }]);
    expect((await checkStrategy(dir)).ok).toBe(true);
  });

  it('rejects nonsense limits', async () => {
    const dir = makeStrategyFolder({ 'strategy.ts': MINIMAL_CLASS });
    await expect(checkStrategy(dir, { limits: { maxFiles: 0 } })).rejects.toThrow(/maxFiles/);
  });

  it('reports absurdly nested code as a syntax finding instead of crashing', async () => {
    const depth = 20_000;
    const dir = makeStrategyFolder({ 'strategy.ts': `export const v = ${'['.repeat(depth)}${']'.repeat(depth)};\n${MINIMAL_CLASS}` });
    const report = await checkStrategy(dir);
    expect(report.ok).toBe(false);
    expect(report.errors[0]?.rule).toBe('syntax');
  });
});
