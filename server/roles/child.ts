// What a child of `qtc all`'s process tree (server/roles/processTree.ts) does about its parent. Kept
// apart from the tree itself so `qtc worker` loads nothing of the HTTP side.

/** Set on a child of the tree: which part it runs. */
export const TREE_ROLE_ENV = 'QTC_TREE_ROLE';
export type TreeRole = 'api' | 'worker';

/** Messages a child sends its parent over the IPC channel. */
export type ChildMessage = { type: 'ready'; address?: string };

/**
 * In a child of the tree: leave when the parent is gone (its IPC channel closes, e.g. after a SIGKILL of
 * the parent), through the child's own signal handling so it shuts down cleanly. No-op elsewhere.
 */
export function followParent(): TreeRole | undefined {
  const role = process.env[TREE_ROLE_ENV];
  if ((role !== 'api' && role !== 'worker') || !process.send) return undefined;
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  return role;
}

/** In a child of the tree: tell the parent it is serving. */
export function reportReady(message: ChildMessage): void {
  if (process.send && process.connected) process.send(message);
}
