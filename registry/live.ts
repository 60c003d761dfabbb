import { recordAuditEvent } from '../data/postgres/audit.ts';
import type { PgPool } from '../data/postgres/pool.ts';
import { RegistryStore, type RegistryLog } from './store.ts';
import { syncTeams } from './sync.ts';

export interface LiveRegistryOptions {
  file: string;
  pool: PgPool;
  log: RegistryLog;
  clock?: () => Date;
}

/**
 * The registry store as the server runs it: every good load is synced into the `teams` table
 * before it comes into force, and every load and rejection is audited.
 * Call `load()` once at start (throws on an invalid file), then `startRegistryWatcher`.
 */
export function createLiveRegistry(options: LiveRegistryOptions): RegistryStore {
  return new RegistryStore({
    file: options.file,
    log: options.log,
    ...(options.clock ? { clock: options.clock } : {}),
    activate: (registry) => syncTeams(options.pool, registry),
    audit: (event) => recordAuditEvent(options.pool, event),
  });
}
