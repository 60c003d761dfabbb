// The progress file of a sandbox child: 8 bytes, [opId, team index] as two int32, written by the
// child with a synchronous pwrite before each team of a run and read by the parent. It lives in
// the page cache, so what the child wrote survives the child's death (even SIGKILL): the parent
// learns which team was running without a message per team. Plain files rather than a shared
// memory segment because Node offers no shared memory between processes.
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readdirSync, readSync, rmdirSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PROGRESS_BYTES = 8;

const FOLDER_PREFIX = 'qtc-sandbox-';
const PROGRESS_NAME = 'progress';
/** A progress folder's name: the prefix, the pid of the process that made it, and mkdtemp's suffix. */
const OWNED_FOLDER = /^qtc-sandbox-(\d+)-[A-Za-z0-9]{6}$/;

export interface Progress {
  opId: number;
  /** Index of the team the operation is running; the team count once all have run. */
  index: number;
}

/** The parent's side: creates the file, reads it, removes it (a child whose parent died removes it itself: child/main.ts). */
export class ProgressFile {
  readonly path: string;
  readonly #directory: string;
  readonly #fd: number;
  readonly #buffer = new Int32Array(PROGRESS_BYTES / 4);

  constructor() {
    const parent = tmpdir();
    sweepOnce(parent);
    this.#directory = mkdtempSync(path.join(parent, `${FOLDER_PREFIX}${process.pid}-`));
    this.path = path.join(this.#directory, PROGRESS_NAME);
    this.#fd = openSync(this.path, 'w+', 0o600);
    writeSync(this.#fd, new Int32Array([0, -1]), 0, PROGRESS_BYTES, 0);
  }

  read(): Progress {
    const bytes = readSync(this.#fd, this.#buffer, 0, PROGRESS_BYTES, 0);
    if (bytes < PROGRESS_BYTES) return { opId: 0, index: -1 };
    return { opId: this.#buffer[0] ?? 0, index: this.#buffer[1] ?? -1 };
  }

  remove(): void {
    try {
      closeSync(this.#fd);
    } finally {
      removeProgressFile(this.path);
    }
  }
}

/**
 * Removes a progress file and then its folder, if that is empty: never anything else (no recursion).
 * The parent, a child whose parent died (child/main.ts) and the sweep below all remove them this way.
 */
export function removeProgressFile(progressPath: string): void {
  try {
    rmSync(progressPath, { force: true });
    rmdirSync(path.dirname(progressPath));
  } catch {
    // Already gone (the other side removed it), or not empty: left as it is.
  }
}

const swept = new Set<string>();
function sweepOnce(parent: string): void {
  if (swept.has(parent)) return;
  swept.add(parent);
  removeOrphanedProgressFolders(parent);
}

/**
 * Removes the progress folders in `parent` whose maker is no longer running: a pool and its children
 * killed together (SIGKILL to the whole group, a container stopped) never removed theirs. Each
 * pool's process does this once, before making its first folder. Only a real folder (not a link) of
 * this user, named as this module names them, holding at most its progress file, is removed, and
 * without recursion: nothing else in the temp directory can be touched. A folder whose maker is alive,
 * or whose liveness cannot be told, is left. Returns the names removed.
 */
export function removeOrphanedProgressFolders(parent: string): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const owner = OWNED_FOLDER.exec(name)?.[1];
    if (owner === undefined || isRunning(Number(owner))) continue;
    const folder = path.join(parent, name);
    try {
      // The temp directory's sticky bit keeps other users from renaming or replacing a folder of this
      // user, so what is checked here is what is removed.
      const stat = lstatSync(folder);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
      if (readdirSync(folder).some((entry) => entry !== PROGRESS_NAME)) continue;
    } catch {
      // Removed meanwhile by someone else.
      continue;
    }
    removeProgressFile(path.join(folder, PROGRESS_NAME));
    if (!existsSync(folder)) removed.push(name);
  }
  return removed;
}

/** Whether a process with this pid exists (one of another user counts: it may be the maker). */
function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
