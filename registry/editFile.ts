import { randomBytes } from 'node:crypto';
import { open, readFile, realpath, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { editRegistryText, type RegistryEdit } from './edit.ts';
import type { Registry } from './schema.ts';

export class RegistryEditRefused extends Error {
  override name = 'RegistryEditRefused';
}

export interface FileEditResult {
  file: string;
  changed: boolean;
  registry: Registry;
}

/**
 * Applies an edit to the registry file atomically: the new text goes to a temporary file in
 * the same folder (same file system, same mode), is flushed to disk, and is renamed over the
 * old one, so the running server (and anyone reading) sees either the old file or the new
 * one, never half of it. Refuses if the file changed while the edit was prepared, rather than
 * overwriting someone else's change.
 */
export interface EditFileOptions {
  /**
   * Runs on the registry the edit would make, before anything is written; throwing refuses the edit
   * (`qtc admin teams add` checks the new team's repository there, as the Git sync would).
   */
  check?: (registry: Registry) => Promise<void>;
}

export async function editRegistryFile(file: string, edit: RegistryEdit, options: EditFileOptions = {}): Promise<FileEditResult> {
  // Through a symlink, the link stays and its target is replaced.
  const target = await realpath(file).catch((error: unknown) => {
    throw new RegistryEditRefused(`cannot read the team registry ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, { cause: error });
  });
  const original = await readFile(target, 'utf8');
  const result = editRegistryText(original, edit);
  if (!result.ok) throw new RegistryEditRefused(`${file}: ${result.message}`);
  if (!result.changed) return { file, changed: false, registry: result.registry };
  await options.check?.(result.registry);

  const { mode } = await stat(target);
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temporary, 'wx', mode & 0o777);
    try {
      await handle.writeFile(result.text, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    if ((await readFile(target, 'utf8')) !== original) {
      throw new RegistryEditRefused(`${file} changed while the edit was being made; nothing was written, run the command again`);
    }
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return { file, changed: true, registry: result.registry };
}
