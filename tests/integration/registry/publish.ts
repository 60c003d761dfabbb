// Test stand-in for the control process: publishes a registry file as the version in force in
// Postgres, which is where `qtc worker` and `qtc api` read it from.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { parseRegistry } from '../../../registry/load.ts';
import { publishRegistry, type PublishedRegistry } from '../../../registry/versions.ts';

export async function publishRegistryText(pool: PgPool, text: string, file = 'test:team_registry.yaml'): Promise<PublishedRegistry> {
  const parsed = parseRegistry(text);
  if (!parsed.ok) throw new Error(`test registry invalid: ${JSON.stringify(parsed.errors)}`);
  return publishRegistry(pool, parsed.registry, { text, hash: createHash('sha256').update(text).digest('hex'), file });
}

export function publishRegistryFile(pool: PgPool, file: string): Promise<PublishedRegistry> {
  return publishRegistryText(pool, readFileSync(file, 'utf8'), file);
}

/** Migrates the database at `url` and publishes `file` there (its own short-lived pool). */
export async function publishRegistryAt(url: string, file: string): Promise<PublishedRegistry> {
  const pool = createPgPool({ url, max: 2, connectTimeoutMs: 5_000 });
  try {
    await migrateUp(pool);
    return await publishRegistryFile(pool, file);
  } finally {
    await pool.end();
  }
}
