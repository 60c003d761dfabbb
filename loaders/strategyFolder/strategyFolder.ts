import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';

/** A strategy folder whose existence has been verified; `root` is its real (symlink-free) absolute path. */
export interface StrategyFolder {
  root: string;
}

/** The folder given is missing or not a folder: nothing can be checked or compiled. */
export class StrategyFolderError extends Error {
  override readonly name = 'StrategyFolderError';
}

export async function openStrategyFolder(dir: string): Promise<StrategyFolder> {
  const absolute = path.resolve(dir);
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(absolute)).isDirectory();
  } catch {
    throw new StrategyFolderError(`strategy folder ${dir} does not exist`);
  }
  if (!isDirectory) throw new StrategyFolderError(`${dir} is not a folder; give the folder that contains strategy.ts or strategy.js`);
  return { root: await realpath(absolute) };
}

/** Whether an absolute path lies strictly inside the folder (lexically). */
export function isInsideFolder(root: string, absolutePath: string): boolean {
  const relative = path.relative(root, absolutePath);
  return relative !== '' && !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
}

/** The path shown to authors: relative to the strategy folder, `/`-separated. */
export function displayPath(root: string, absolutePath: string): string {
  return path.relative(root, absolutePath).split(path.sep).join('/');
}
