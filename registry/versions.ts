/**
 * The registry in force, versioned in Postgres (`registry_versions`). The control process appends a
 * version when the file changes, in the same transaction as the team sync; API replicas and workers
 * read the newest version and are told of new ones on a Postgres channel (on commit).
 */
import { hostname } from 'node:os';
import type pg from 'pg';
import type { PgPool } from '../data/postgres/pool.ts';
import type { Queryable } from '../data/postgres/transaction.ts';
import type { Registry } from './schema.ts';
import { syncTeamsIn, type TeamSyncSummary } from './sync.ts';
import { inTransaction } from './transaction.ts';

/** Postgres channel told (on commit) of every new registry version; the payload is its number. */
export const REGISTRY_VERSION_CHANNEL = 'qtc_registry_version';

export interface RegistryVersion {
  version: number;
  text: string;
  hash: string;
  file: string;
  createdAt: Date;
}

export interface PublishedRegistry extends TeamSyncSummary {
  /** The version now in force (a new one, or the newest when the text was already published). */
  version: number;
}

/** What else the control role writes with each registry version, in its transaction (the market in force). */
export type PublishAlongside = (client: pg.PoolClient, registry: Registry) => Promise<void>;

/**
 * Syncs the teams and appends the registry's text as a new version when it differs from the newest
 * one, in one transaction; the NOTIFY goes out on commit. `check` runs first inside the transaction
 * (the leader lock test): if it throws, nothing is written. `alongside` runs after it, so a follower
 * that sees the version sees what was written with it.
 */
export async function publishRegistry(
  pool: PgPool,
  registry: Registry,
  source: { text: string; hash: string; file: string },
  check: (client: pg.PoolClient) => Promise<void> = () => Promise.resolve(),
  alongside?: PublishAlongside,
): Promise<PublishedRegistry> {
  return inTransaction(pool, async (client) => {
    await check(client);
    await alongside?.(client, registry);
    const summary = await syncTeamsIn(client, registry);
    const newest = await client.query<{ version: string; source_hash: string }>('SELECT version, source_hash FROM registry_versions ORDER BY version DESC LIMIT 1');
    const row = newest.rows[0];
    if (row && row.source_hash === source.hash) return { ...summary, version: Number(row.version) };
    const inserted = await client.query<{ version: string }>(
      'INSERT INTO registry_versions (source_text, source_hash, source_file, teams, written_by) VALUES ($1, $2, $3, $4, $5) RETURNING version',
      [source.text, source.hash, source.file, registry.teams.length, `${hostname()}:${String(process.pid)}`],
    );
    const version = Number(inserted.rows[0]?.version);
    await client.query('SELECT pg_notify($1, $2)', [REGISTRY_VERSION_CHANNEL, String(version)]);
    return { ...summary, version };
  });
}

/** The registry in force (the newest version), or null before the control process has published one. */
export async function readRegistryInForce(db: Queryable): Promise<RegistryVersion | null> {
  const result = await db.query<{ version: string; source_text: string; source_hash: string; source_file: string; created_at: Date }>(
    'SELECT version, source_text, source_hash, source_file, created_at FROM registry_versions ORDER BY version DESC LIMIT 1',
  );
  const row = result.rows[0];
  return row ? { version: Number(row.version), text: row.source_text, hash: row.source_hash, file: row.source_file, createdAt: row.created_at } : null;
}

export async function newestRegistryVersion(db: Queryable): Promise<number | null> {
  const result = await db.query<{ version: string | null }>('SELECT max(version) AS version FROM registry_versions');
  const version = result.rows[0]?.version;
  return version === null || version === undefined ? null : Number(version);
}
