// The progress file of a sandbox child: 8 bytes, [opId, team index] as two int32, written by the
// child with a synchronous pwrite before each team of a run and read by the parent. It lives in
// the page cache, so what the child wrote survives the child's death (even SIGKILL): the parent
// learns which team was running without a message per team. Plain files rather than a shared
// memory segment because Node offers no shared memory between processes.
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PROGRESS_BYTES = 8;

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
    this.#directory = mkdtempSync(path.join(tmpdir(), 'qtc-sandbox-'));
    this.path = path.join(this.#directory, 'progress');
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
      rmSync(this.#directory, { recursive: true, force: true });
    }
  }
}
