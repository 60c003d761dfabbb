import { recordAuditEvent } from '../data/postgres/audit.ts';
import type { PgPool } from '../data/postgres/pool.ts';
import type { ControlLeadership } from './leader.ts';
import { RegistryStore, type RegistryLog } from './store.ts';
import { publishRegistry, type PublishAlongside } from './versions.ts';

export interface LiveRegistryOptions {
  file: string;
  pool: PgPool;
  log: RegistryLog;
  clock?: () => Date;
  /** The control leader lock: every write checks (in its transaction) that this process still holds it. */
  leader?: ControlLeadership;
  /** Written with each version, in its transaction (the market in force). */
  alongside?: PublishAlongside;
}

/**
 * The registry store of the control role: every good load of the file is synced into the `teams`
 * table and published as a new registry version (what API replicas and workers follow) before it
 * comes into force, and every load and rejection is audited.
 * Call `load()` once at start (throws on an invalid file), then `startRegistryWatcher`.
 */
export function createLiveRegistry(options: LiveRegistryOptions): RegistryStore {
  const leader = options.leader;
  return new RegistryStore({
    file: options.file,
    log: options.log,
    ...(options.clock ? { clock: options.clock } : {}),
    activate: (registry, source) =>
      publishRegistry(options.pool, registry, { ...source, file: options.file }, leader ? (client) => leader.assertHeld(client) : undefined, options.alongside),
    audit: (event) => recordAuditEvent(options.pool, event),
  });
}
