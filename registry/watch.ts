import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { RegistryLog, RegistryStore } from './store.ts';

export interface RegistryWatcherOptions {
  log: RegistryLog;
  /** Editors write a file in several steps; changes closer together than this make one reload. */
  debounceMs?: number;
  /**
   * Backup for fs.watch, which misses changes on some file systems (network mounts, some
   * container volumes) and across symlink swaps: the file's mtime, size and inode are compared
   * this often.
   */
  pollMs?: number;
}

async function fileSignature(file: string): Promise<string> {
  try {
    const info = await stat(file);
    return `${info.mtimeMs}:${info.size}:${info.ino}`;
  } catch (error) {
    return `missing:${(error as NodeJS.ErrnoException).code ?? ''}`;
  }
}

/**
 * Reloads the store when its file changes. Watches the folder rather than the file, because
 * an atomic save (write a temporary file, rename it over the old one) replaces the inode a file
 * watch would follow. Returns `stop`, which resolves once no reload is running.
 */
export function startRegistryWatcher(store: RegistryStore, options: RegistryWatcherOptions): () => Promise<void> {
  const debounceMs = options.debounceMs ?? 250;
  const pollMs = options.pollMs ?? 2_000;
  const file = store.file;
  const base = path.basename(file);
  let stopped = false;
  let debounce: NodeJS.Timeout | undefined;
  let inFlight: Promise<unknown> = Promise.resolve();
  let signature: string | undefined;
  void fileSignature(file).then((initial) => (signature ??= initial));

  const reload = (trigger: 'file-change' | 'poll') => {
    if (stopped) return;
    inFlight = store.reload(trigger).catch((error: unknown) => options.log.error({ err: error }, 'team registry reload failed'));
  };

  const schedule = () => {
    clearTimeout(debounce);
    debounce = setTimeout(() => reload('file-change'), debounceMs);
    debounce.unref();
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path.dirname(file), { persistent: false }, (_event, changed) => {
      if (changed === null || changed === base) schedule();
    });
    watcher.on('error', (error) => {
      options.log.warn({ err: error, file }, 'watching the team registry failed; relying on the periodic check');
      watcher?.close();
    });
  } catch (error) {
    options.log.warn({ err: error, file }, 'cannot watch the team registry; relying on the periodic check');
  }

  let polling = false;
  const poll = setInterval(() => {
    if (polling || stopped) return;
    polling = true;
    void fileSignature(file)
      .then((current) => {
        if (signature !== undefined && current !== signature) reload('poll');
        signature = current;
      })
      .finally(() => (polling = false));
  }, pollMs);
  poll.unref();

  return async () => {
    stopped = true;
    clearTimeout(debounce);
    clearInterval(poll);
    watcher?.close();
    await inFlight;
  };
}
