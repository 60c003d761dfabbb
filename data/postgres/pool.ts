import pg from 'pg';

export type PgPool = pg.Pool;

export interface PgPoolOptions {
  url: string;
  max: number;
  connectTimeoutMs: number;
}

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
  pool.on('error', () => undefined);
  return pool;
}
