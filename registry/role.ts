/**
 * The registry as each process holds it. The control role (`qtc all`) takes the control leader lock,
 * reads team_registry.yaml, watches it and publishes each good version to Postgres; API replicas and
 * workers never open the file: they read the version in force from Postgres and follow new ones.
 */
import type { Logger } from 'pino';
import type { PgPool } from '../data/postgres/pool.ts';
import { startRegistryFollower } from './follow.ts';
import { acquireControlLeadership } from './leader.ts';
import { createLiveRegistry } from './live.ts';
import type { RegistryStore } from './store.ts';
import type { PublishAlongside } from './versions.ts';
import { startRegistryWatcher } from './watch.ts';

/** What the role needs of the process's lifecycle (server/lifecycle.ts): stop signal and ordered release. */
export interface RoleLifecycle {
  readonly signal: AbortSignal;
  onClose(name: string, close: () => Promise<void>): void;
}

export interface OpenRegistryOptions {
  pool: PgPool;
  logger: Logger;
  lifecycle: RoleLifecycle;
  /** true: the control role (reads `file`); false: follow the registry in Postgres. */
  control: boolean;
  file: string;
  /** The control role only: written with each registry version it publishes, in the same transaction. */
  alongside?: PublishAlongside;
}

export async function openRegistry(options: OpenRegistryOptions): Promise<RegistryStore> {
  const { pool, logger, lifecycle } = options;
  const log = logger.child({ component: 'registry' });
  if (!options.control) {
    const follower = await startRegistryFollower({ pool, log, signal: lifecycle.signal });
    lifecycle.onClose('registry follower', () => follower.stop());
    const registry = follower.store.current();
    logger.info(
      { version: follower.version(), competition: registry.competition.name, teams: registry.teams.length },
      'team registry read from Postgres (published by the control process)',
    );
    return follower.store;
  }
  const leader = await acquireControlLeadership({
    pool,
    log,
    signal: lifecycle.signal,
    // Two control processes must never both write: this one stops (a supervisor restarts it, and it waits for the lock).
    onTakenOver: () => process.kill(process.pid, 'SIGTERM'),
  });
  lifecycle.onClose('control leader lock', () => leader.release());
  const store = createLiveRegistry({ file: options.file, pool, log, leader, ...(options.alongside ? { alongside: options.alongside } : {}) });
  const loaded = await store.load(); // also syncs the teams and publishes the version
  logger.info({ file: options.file, competition: loaded.competition.name, teams: loaded.teams.length }, 'team registry loaded');
  lifecycle.onClose('registry watcher', startRegistryWatcher(store, { log }));
  return store;
}
