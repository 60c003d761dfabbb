import pg from 'pg';

export type PgPool = pg.Pool;

export interface PgPoolOptions {
  url: string;
  max: number;
  connectTimeoutMs: number;
}

const ignore = (): void => undefined;

export function createPgPool(options: PgPoolOptions): PgPool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max,
    connectionTimeoutMillis: options.connectTimeoutMs,
    idleTimeoutMillis: 30_000,
    application_name: 'qtc',
  });
  // An idle client losing its connection (server restart) must not crash the process;
  // the next checkout reconnects and the health check reports the outage.
  pool.on('error', ignore);
  // pg removes the pool's idle listener while a client is checked out (pool.connect()), so a server
  // restart then emits an unhandled 'error' on the client and kills the process. This listener stays
  // for the client's whole life: the error still rejects the client's pending and later queries (the
  // job fails and is retried), and pg-pool drops the broken client when it is released.
  pool.on('connect', (client) => client.on('error', ignore));
  return pool;
}
