import { symlinkSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkStrategy, RULES } from '../../../loaders/index.ts';
import { classifySpecifier } from '../../../loaders/strategyFolder/resolveImport.ts';
import { makeStrategyFolder, MINIMAL_CLASS } from './strategyFixture.ts';

async function checkEntry(importLine: string, files: Record<string, string> = {}, outside: Record<string, string> = {}) {
  const dir = makeStrategyFolder({ 'strategy.ts': `${importLine}\n${MINIMAL_CLASS}`, ...files }, outside);
  return { dir, report: await checkStrategy(dir) };
}

describe('import graph', () => {
  it("follows relative imports and 'qtc', listing every file reached, entry first", async () => {
    const { report } = await checkEntry("import { sma } from 'qtc';\nimport { a } from './lib/a.ts';\nexport { b } from './lib/b';", {
      'lib/a.ts': "import { shared } from './shared.js';\nexport const a = shared;",
      'lib/b.ts': "export * from './shared.ts';\nexport const b = 2;",
      'lib/shared.ts': "import { a } from './a.ts';\nexport const shared = 1; export const again = () => a;",
      'unused.ts': 'export const never = eval;',
    });
    expect(report).toEqual({ ok: true, entry: 'strategy.ts', files: ['strategy.ts', 'lib/a.ts', 'lib/b.ts', 'lib/shared.ts'], errors: [] });
  });

  it('checks the rules in imported files too, naming the file', async () => {
    const { report } = await checkEntry("import './lib/bad.ts';", { 'lib/bad.ts': 'export const p = process;' });
    expect(report.errors).toMatchObject([{ file: 'lib/bad.ts', line: 1, column: 18, rule: 'no-process' }]);
  });

  it('resolves a folder import to its index file', async () => {
    const { report } = await checkEntry("import { x } from './lib';", { 'lib/index.ts': 'export const x = 1;' });
    expect(report.files).toEqual(['strategy.ts', 'lib/index.ts']);
    expect(report.ok).toBe(true);
  });

  it('lets type-only imports name declaration files', async () => {
    const { report } = await checkEntry("import type { T } from './types';\nexport type U = T;", { 'types.d.ts': 'export type T = number;' });
    expect(report.ok).toBe(true);
    expect(report.files).toEqual(['strategy.ts', 'types.d.ts']);
  });

  it('rejects ../ escapes out of the folder, even when the file exists', async () => {
    const { report } = await checkEntry("import { x } from '../outside.ts';", {}, { 'outside.ts': 'export const x = 1;' });
    expect(report.errors).toEqual([
      {
        file: 'strategy.ts',
        line: 1,
        column: 19,
        rule: 'import-outside-folder',
        message: "Import of '../outside.ts' points outside the strategy folder.",
        hint: RULES['import-outside-folder'].hint,
      },
    ]);
    expect(report.files).toEqual(['strategy.ts']);
  });

  it('rejects an escape from a nested file that climbs above the root', async () => {
    const { report } = await checkEntry("import './lib/a.ts';", { 'lib/a.ts': "import '../../outside.ts';" }, { 'outside.ts': '' });
    expect(report.errors).toMatchObject([{ file: 'lib/a.ts', rule: 'import-outside-folder' }]);
  });

  it('accepts ../ that stays inside the folder', async () => {
    const { report } = await checkEntry("import './lib/a.ts';", { 'lib/a.ts': "import { c } from '../common.ts'; export const a = c;", 'common.ts': 'export const c = 1;' });
    expect(report.ok).toBe(true);
  });

  it('rejects absolute paths', async () => {
    const { report } = await checkEntry("import '/etc/hosts';");
    expect(report.errors).toMatchObject([{ rule: 'import-outside-folder', line: 1, column: 8 }]);
  });

  it('rejects a symbolic link that leads out of the folder', async () => {
    const dir = makeStrategyFolder({ 'strategy.ts': `import { x } from './linked.ts';\n${MINIMAL_CLASS}` }, { 'outside.ts': 'export const x = 1;' });
    symlinkSync(path.join(dir, '..', 'outside.ts'), path.join(dir, 'linked.ts'));
    const report = await checkStrategy(dir);
    expect(report.errors).toMatchObject([{ rule: 'import-outside-folder', message: expect.stringContaining('symbolic link') as string }]);
  });

  it.each(['fs', 'node:fs', 'lodash', '@scope/pkg', 'qtc/internal', 'data:text/javascript,1'])('rejects the package import %s', async (specifier) => {
    const { report } = await checkEntry(`import x from '${specifier}';`);
    expect(report.errors).toMatchObject([{ rule: 'import-package', line: 1, column: 15 }]);
    expect(report.errors[0]?.message).toContain(specifier);
  });

  it('rejects type-only imports of packages as well', async () => {
    const { report } = await checkEntry("import type { X } from 'some-package';");
    expect(report.errors).toMatchObject([{ rule: 'import-package' }]);
  });

  it('reports a missing file', async () => {
    const { report } = await checkEntry("import { x } from './missing.ts';");
    expect(report.errors).toMatchObject([{ rule: 'import-not-found', line: 1, column: 19 }]);
  });

  it('reports a file that is not code', async () => {
    const { report } = await checkEntry("import data from './data.json';", { 'data.json': '[1, 2]' });
    expect(report.errors).toMatchObject([{ rule: 'import-file-type', line: 1, column: 18 }]);
  });

  it('classifies specifiers from their text', () => {
    expect(classifySpecifier('qtc')).toBe('sdk');
    expect(classifySpecifier('./a')).toBe('relative');
    expect(classifySpecifier('../a')).toBe('relative');
    expect(classifySpecifier('/etc/passwd')).toBe('absolute');
    expect(classifySpecifier('file:///etc/passwd')).toBe('absolute');
    expect(classifySpecifier('.a')).toBe('package');
    expect(classifySpecifier('QTC')).toBe('package');
  });
});
