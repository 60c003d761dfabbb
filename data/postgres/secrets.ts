// Secrets of the competition kept in Postgres (see migration competition-secrets): the first
// process to ask creates one; every other process, now or after a restart, reads the same value.
import { randomBytes } from 'node:crypto';
import type { Queryable } from './transaction.ts';
import { query } from './query.ts';

export type SecretName = 'random-seed';

export async function competitionSecret(db: Queryable, name: SecretName): Promise<string> {
  await query(db, 'INSERT INTO competition_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, randomBytes(32).toString('hex')]);
  const rows = await query<{ value: string }>(db, 'SELECT value FROM competition_secrets WHERE name = $1', [name]);
  const value = rows[0]?.value;
  if (value === undefined) throw new Error(`competition secret ${name} could not be read`);
  return value;
}
