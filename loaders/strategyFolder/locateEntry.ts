import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { languageOf } from '../staticCheck/parseSource.ts';
import { displayPath, isInsideFolder, type StrategyFolder } from './strategyFolder.ts';

/** Entry file names looked for at the folder root when none is named. */
export const DEFAULT_ENTRY_NAMES = ['strategy.ts', 'strategy.js'] as const;

export type EntryLocation = { ok: true; path: string; file: string } | { ok: false; rule: 'entry-missing' | 'entry-ambiguous'; file: string; message: string };

async function isFile(absolutePath: string): Promise<boolean> {
  try {
    return (await stat(absolutePath)).isFile();
  } catch {
    return false;
  }
}

/**
 * Finds the entry of a strategy: the file named explicitly (relative to the folder, e.g. by
 * the team registry), or else `strategy.ts` / `strategy.js` at the root, exactly one of them.
 */
export async function locateEntry(folder: StrategyFolder, explicitEntry?: string): Promise<EntryLocation> {
  if (explicitEntry !== undefined) return locateExplicitEntry(folder, explicitEntry);
  const present: string[] = [];
  for (const name of DEFAULT_ENTRY_NAMES) {
    if (await isFile(path.join(folder.root, name))) present.push(name);
  }
  const [only] = present;
  if (only === undefined) {
    return {
      ok: false,
      rule: 'entry-missing',
      file: DEFAULT_ENTRY_NAMES[0],
      message: `No entry file: the folder has neither ${DEFAULT_ENTRY_NAMES.join(' nor ')}.`,
    };
  }
  if (present.length > 1) {
    return {
      ok: false,
      rule: 'entry-ambiguous',
      file: only,
      message: `Both ${present.join(' and ')} exist; it is unclear which one is the strategy.`,
    };
  }
  return locateExplicitEntry(folder, only);
}

async function locateExplicitEntry(folder: StrategyFolder, entry: string): Promise<EntryLocation> {
  const missing = (message: string): EntryLocation => ({ ok: false, rule: 'entry-missing', file: entry, message });
  if (languageOf(entry) === null) return missing(`The entry ${entry} must be a .ts, .mts, .js or .mjs file.`);
  const target = path.resolve(folder.root, entry);
  if (path.isAbsolute(entry) || !isInsideFolder(folder.root, target)) {
    return missing(`The entry ${entry} must be a path inside the strategy folder.`);
  }
  if (!(await isFile(target))) return missing(`The entry file ${entry} does not exist.`);
  const real = await realpath(target);
  if (!isInsideFolder(folder.root, real)) return missing(`The entry ${entry} leads outside the strategy folder through a symbolic link.`);
  return { ok: true, path: real, file: displayPath(folder.root, real) };
}
