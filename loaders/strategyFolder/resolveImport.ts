import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import type { RuleId } from '../staticCheck/rules.ts';
import { displayPath, isInsideFolder, type StrategyFolder } from './strategyFolder.ts';

/** The one package a strategy may import. */
export const SDK_SPECIFIER = 'qtc';

/** Extensions of the files a strategy is made of, in resolution order for extensionless imports. */
export const CODE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'] as const;

export type SpecifierKind = 'sdk' | 'relative' | 'absolute' | 'package';

/** What an import specifier names, from its text alone. */
export function classifySpecifier(specifier: string): SpecifierKind {
  if (specifier === SDK_SPECIFIER) return 'sdk';
  if (specifier === '.' || specifier === '..' || specifier.startsWith('./') || specifier.startsWith('../')) return 'relative';
  if (path.isAbsolute(specifier) || /^[A-Za-z]:[\\/]/.test(specifier) || specifier.startsWith('file:')) return 'absolute';
  return 'package';
}

export type ImportResolution =
  | { kind: 'sdk' }
  /** `path` is the real absolute path, `file` the path relative to the strategy folder. */
  | { kind: 'file'; path: string; file: string }
  | { kind: 'rejected'; rule: RuleId; message: string };

function hasCodeExtension(fileName: string): boolean {
  return CODE_EXTENSIONS.some((extension) => fileName.endsWith(extension));
}

/** The files an import may denote, in the order they are tried (TypeScript conventions: `./x.js` may mean x.ts). */
export function candidatePaths(target: string, typeOnly: boolean): string[] {
  const extensions: string[] = [...CODE_EXTENSIONS, ...(typeOnly ? ['.d.ts'] : [])];
  const candidates: string[] = [];
  if (hasCodeExtension(target)) {
    candidates.push(target);
    if (target.endsWith('.js')) candidates.push(`${target.slice(0, -3)}.ts`);
    if (target.endsWith('.mjs')) candidates.push(`${target.slice(0, -4)}.mts`);
    return candidates;
  }
  for (const extension of extensions) candidates.push(`${target}${extension}`);
  for (const extension of extensions) candidates.push(path.join(target, `index${extension}`));
  return candidates;
}

async function isFile(absolutePath: string): Promise<boolean> {
  try {
    return (await stat(absolutePath)).isFile();
  } catch {
    return false;
  }
}

/**
 * Resolves an import of a file of the strategy folder. The same function serves the static
 * check and the bundler, so compiling can never pull in a file the check did not look at,
 * even when the check is skipped: nothing outside the folder (lexically or through a
 * symbolic link) and no package except 'qtc'.
 */
export async function resolveImport(folder: StrategyFolder, importerPath: string, specifier: string, typeOnly = false): Promise<ImportResolution> {
  switch (classifySpecifier(specifier)) {
    case 'sdk':
      return { kind: 'sdk' };
    case 'absolute':
      return {
        kind: 'rejected',
        rule: 'import-outside-folder',
        message: `Import of '${specifier}': absolute paths are not allowed; strategies can only import files of their own folder.`,
      };
    case 'package':
      return {
        kind: 'rejected',
        rule: 'import-package',
        message: `Import of '${specifier}': packages${specifier.startsWith('node:') ? ' and Node.js built-in modules' : ''} are not available to strategies; only 'qtc' and relative files are.`,
      };
    case 'relative':
      break;
  }
  const target = path.resolve(path.dirname(importerPath), specifier);
  if (!isInsideFolder(folder.root, target)) {
    return {
      kind: 'rejected',
      rule: 'import-outside-folder',
      message: `Import of '${specifier}' points outside the strategy folder.`,
    };
  }
  for (const candidate of candidatePaths(target, typeOnly)) {
    if (!(await isFile(candidate))) continue;
    const real = await realpath(candidate);
    if (!isInsideFolder(folder.root, real)) {
      return {
        kind: 'rejected',
        rule: 'import-outside-folder',
        message: `Import of '${specifier}' leads outside the strategy folder through a symbolic link.`,
      };
    }
    return { kind: 'file', path: real, file: displayPath(folder.root, real) };
  }
  if (!hasCodeExtension(target) && (await isFile(target))) {
    return {
      kind: 'rejected',
      rule: 'import-file-type',
      message: `Import of '${specifier}': only .ts, .mts, .js and .mjs files can be imported.`,
    };
  }
  return {
    kind: 'rejected',
    rule: 'import-not-found',
    message: `Import of '${specifier}': no such file in the strategy folder.`,
  };
}
