/**
 * API replicas and workers: the registry in force read from Postgres (never from a local file),
 * followed as the control process publishes new versions: told by a NOTIFY on commit, with a poll as
 * fallback (a notice is lost while the LISTEN connection is down).
 */
import type pg from 'pg';
import type { PgPool } from '../data/postgres/pool.ts';
import type { RegistryLog } from './store.ts';
import { RegistryStore } from './store.ts';
import { newestRegistryVersion, readRegistryInForce, REGISTRY_VERSION_CHANNEL } from './versions.ts';

/** What a follower's status shows as its "file". */
export const REGISTRY_IN_POSTGRES = 'postgres:registry_versions';

export interface RegistryFollowerOptions {
  pool: PgPool;
  log: RegistryLog;
  /** Aborts the wait for a first version (a signal during start-up). */
  signal: AbortSignal;
  /** Fallback check for a new version; default 5 s. */
  pollMs?: number;
  /** How often to look for a first version while none exists; default 1 s. */
  waitMs?: number;
}

export interface RegistryFollower {
  store: RegistryStore;
  /** The registry version in force here. */
  version(): number;
  stop(): Promise<void>;
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

/** Waits for the control process's first version, loads it, and follows new ones until `stop`. */
export async function startRegistryFollower(options: RegistryFollowerOptions): Promise<RegistryFollower> {
  const { pool, log, signal } = options;
  const pollMs = options.pollMs ?? 5_000;
  let warned = false;
  for (;;) {
    if (signal.aborted) throw new Error('stopped while waiting for the registry in Postgres');
    try {
      if ((await newestRegistryVersion(pool)) !== null) break;
      if (!warned) log.warn('no registry in Postgres yet: waiting for the control process (qtc all) to publish team_registry.yaml');
    } catch (error) {
      if (!warned) log.warn({ err: error }, 'cannot read the registry from Postgres yet; retrying');
    }
    warned = true;
    await sleep(options.waitMs ?? 1_000, signal);
  }

  let readVersion = 0;
  let inForce = 0;
  const store = new RegistryStore({
    file: REGISTRY_IN_POSTGRES,
    log,
    source: {
      read: async () => {
        const found = await readRegistryInForce(pool);
        if (!found) throw Object.assign(new Error('no registry version in Postgres'), { code: 'no version yet' });
        readVersion = found.version;
        return found.text;
      },
    },
  });
  store.subscribe(() => {
    inForce = readVersion;
    log.info({ version: inForce }, `registry version ${String(inForce)} in force (from Postgres)`);
  });
  await store.load();

  let stopped = false;
  let checking: Promise<unknown> = Promise.resolve();
  const check = (trigger: 'poll' | 'notify') => {
    if (stopped) return;
    checking = store.reload(trigger).catch((error: unknown) => log.error({ err: error }, 'reading the registry from Postgres failed'));
  };

  // LISTEN on a connection of its own; listen again (with back-off) when it breaks.
  let listener: pg.PoolClient | undefined;
  let backoff = 1_000;
  const stopListening = new AbortController();
  const listen = async (): Promise<void> => {
    while (!stopped) {
      try {
        const client = await pool.connect();
        let lost = false;
        const onLost = () => {
          if (lost || stopped) return;
          lost = true;
          listener = undefined;
          client.release(true);
          log.warn('lost the registry notice connection; listening again (polling meanwhile)');
          void sleep(backoff, stopListening.signal).then(listen);
          backoff = Math.min(backoff * 2, 30_000);
        };
        client.on('error', onLost);
        client.on('end', onLost);
        client.on('notification', (message) => {
          if (message.channel === REGISTRY_VERSION_CHANNEL) check('notify');
        });
        await client.query(`LISTEN ${REGISTRY_VERSION_CHANNEL}`);
        listener = client;
        backoff = 1_000;
        check('poll'); // a version published while not listening
        return;
      } catch (error) {
        log.warn({ err: error }, 'cannot listen for registry notices yet; retrying (polling meanwhile)');
        await sleep(backoff, stopListening.signal);
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  };
  await listen();

  let polling = false;
  const poll = setInterval(() => {
    if (polling || stopped) return;
    polling = true;
    newestRegistryVersion(pool)
      .then((newest) => {
        if (newest !== null && newest !== inForce) check('poll');
      })
      .catch(() => undefined)
      .finally(() => (polling = false));
  }, pollMs);
  poll.unref();

  return {
    store,
    version: () => inForce,
    stop: async () => {
      stopped = true;
      stopListening.abort();
      clearInterval(poll);
      const client = listener;
      listener = undefined;
      if (client) {
        client.removeAllListeners('end');
        try {
          await client.query(`UNLISTEN ${REGISTRY_VERSION_CHANNEL}`);
          client.release();
        } catch {
          client.release(true);
        }
      }
      await checking;
    },
  };
}
