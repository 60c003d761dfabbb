/**
 * The control leader lock: one Postgres session-level advisory lock, held on a connection of its
 * own for the control process's whole life. Only its holder reads team_registry.yaml and writes the
 * competition and teams (every write checks, in its transaction, that this connection still holds
 * the lock), so two control processes never both write: the second waits, saying who holds it.
 */
import type pg from 'pg';
import type { PgPool } from '../data/postgres/pool.ts';
import type { RegistryLog } from './store.ts';

// Any constant works: it only has to differ from the application's other advisory locks.
export const CONTROL_LEADER_LOCK = 0x71_74_63_10;

export interface ControlLeadership {
  /** Throws unless this process's lock connection holds the lock now (checked by Postgres, inside `client`'s transaction). */
  assertHeld(client: pg.PoolClient): Promise<void>;
  held(): boolean;
  release(): Promise<void>;
}

export interface LeaderOptions {
  pool: PgPool;
  log: RegistryLog;
  /** Aborts the wait (a signal during start-up). */
  signal: AbortSignal;
  retryMs?: number;
  /** Another control process took the lock while this one had lost its connection: the caller stops. */
  onTakenOver?: () => void;
}

interface Holder {
  pid: number;
  client_addr: string | null;
  application_name: string;
  backend_start: Date;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

async function holderOf(db: pg.PoolClient): Promise<Holder | undefined> {
  const result = await db.query<Holder>(
    `SELECT a.pid, a.client_addr::text AS client_addr, a.application_name, a.backend_start
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 0 AND l.objid = $1 AND l.objsubid = 1 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [CONTROL_LEADER_LOCK],
  );
  return result.rows[0];
}

/** Tries once: the connection holding the lock, or undefined (with who holds it). */
async function tryLock(pool: PgPool): Promise<{ client: pg.PoolClient } | { holder: Holder | undefined }> {
  const client = await pool.connect();
  try {
    const result = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [CONTROL_LEADER_LOCK]);
    if (result.rows[0]?.ok === true) return { client };
    const holder = await holderOf(client);
    client.release();
    return { holder };
  } catch (error) {
    client.release(true);
    throw error;
  }
}

/** Resolves once this process holds the lock; until then logs (every 30 s) that another control process holds it. */
export async function acquireControlLeadership(options: LeaderOptions): Promise<ControlLeadership> {
  const { pool, log, signal } = options;
  const retryMs = options.retryMs ?? 2_000;
  let lastWaitLog = 0;
  for (;;) {
    if (signal.aborted) throw new Error('stopped while waiting for the control leader lock');
    let outcome: Awaited<ReturnType<typeof tryLock>> | undefined;
    try {
      outcome = await tryLock(pool);
    } catch (error) {
      log.warn({ err: error }, 'cannot reach Postgres to take the control leader lock; retrying');
    }
    if (outcome && 'client' in outcome) {
      log.info({ lock: CONTROL_LEADER_LOCK }, 'control leader lock taken: this process is the control role (reads team_registry.yaml, writes the registry)');
      return holdLeadership(outcome.client, options);
    }
    if (outcome && Date.now() - lastWaitLog >= 30_000) {
      lastWaitLog = Date.now();
      log.warn(
        { holder: describeHolder(outcome.holder) },
        'another control process holds the control leader lock (only one may read team_registry.yaml and write the registry): waiting for it to stop',
      );
    }
    await sleep(retryMs, signal);
  }
}

/**
 * One attempt, for a short-lived writer (`qtc admin keys …` bringing the teams in line with the file
 * while no server runs): the leadership, or who holds the lock now. The caller releases it.
 */
export async function tryControlLeadership(options: LeaderOptions): Promise<{ leadership: ControlLeadership } | { holder: ReturnType<typeof describeHolder> }> {
  const outcome = await tryLock(options.pool);
  return 'client' in outcome ? { leadership: holdLeadership(outcome.client, options) } : { holder: describeHolder(outcome.holder) };
}

function describeHolder(h: Holder | undefined) {
  return h ? { pid: h.pid, address: h.client_addr, application: h.application_name, since: h.backend_start } : null;
}

/** Holds the lock on `first` for as long as the process lives; takes it again if its connection breaks. */
function holdLeadership(first: pg.PoolClient, options: LeaderOptions): ControlLeadership {
  const { pool, log, signal } = options;
  const retryMs = options.retryMs ?? 2_000;
  let client: pg.PoolClient | undefined;
  let released = false;

  const hold = (held: pg.PoolClient) => {
    client = held;
    held.on('error', (error: Error) => {
      if (released || client !== held) return;
      client = undefined;
      held.release(true);
      log.error({ err: error }, 'lost the control leader lock (its Postgres connection broke): no registry writes until it is taken again');
      void retake();
    });
  };

  const retake = async () => {
    for (;;) {
      if (released || signal.aborted) return;
      try {
        const outcome = await tryLock(pool);
        if ('client' in outcome) {
          hold(outcome.client);
          log.info('control leader lock taken again');
          return;
        }
        log.error({ holder: outcome.holder?.pid ?? null }, 'another control process took the control leader lock while this one was cut off: this one stops');
        options.onTakenOver?.();
        return;
      } catch {
        await sleep(retryMs, signal);
      }
    }
  };

  hold(first);
  return {
    held: () => client !== undefined,
    assertHeld: async (tx) => {
      const pid = (client as unknown as { processID?: number } | undefined)?.processID;
      const result =
        pid === undefined
          ? undefined
          : await tx.query<{ held: boolean }>(
              `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 0 AND objid = $1 AND objsubid = 1 AND pid = $2) AS held`,
              [CONTROL_LEADER_LOCK, pid],
            );
      if (result?.rows[0]?.held !== true) throw new Error('this process does not hold the control leader lock: it does not write the registry');
    },
    release: async () => {
      released = true;
      const held = client;
      client = undefined;
      if (!held) return;
      try {
        await held.query('SELECT pg_advisory_unlock($1)', [CONTROL_LEADER_LOCK]);
        held.release();
      } catch {
        held.release(true);
      }
    },
  };
}
