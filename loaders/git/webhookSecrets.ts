import { randomBytes } from 'node:crypto';
import type { PgPool } from '../../data/postgres/pool.ts';

/**
 * Per-team webhook secrets (table team_webhook_secrets). Kept in clear: checking an HMAC needs
 * the secret itself. A leaked one only lets someone trigger an early fetch.
 */

export const WEBHOOK_SECRET_PREFIX = 'qtcwh_';

/** The team's secret, or null when it has none. */
export async function readWebhookSecret(pool: PgPool, teamId: string): Promise<string | null> {
  const { rows } = await pool.query<{ secret: string }>('SELECT secret FROM team_webhook_secrets WHERE team_id = $1', [teamId]);
  return rows[0]?.secret ?? null;
}

/**
 * Creates or replaces the team's secret and returns it: show it once, to be pasted into the
 * repository's webhook settings. The previous secret stops working at once.
 */
export async function issueWebhookSecret(pool: PgPool, teamId: string, actor: string): Promise<string> {
  const secret = `${WEBHOOK_SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query<{ replaced: boolean }>(
      `WITH previous AS (SELECT 1 FROM team_webhook_secrets WHERE team_id = $1 FOR UPDATE)
       INSERT INTO team_webhook_secrets (team_id, secret, created_at, created_by) VALUES ($1, $2, now(), $3)
       ON CONFLICT (team_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at, created_by = EXCLUDED.created_by
       RETURNING EXISTS (SELECT 1 FROM previous) AS replaced`,
      [teamId, secret, actor],
    );
    await client.query('INSERT INTO audit_events (actor, kind, subject, details) VALUES ($1, $2, $3, $4)', [
      actor,
      'git.webhook-secret-issued',
      teamId,
      JSON.stringify({ replaced: rows[0]?.replaced ?? false }),
    ]);
    await client.query('COMMIT');
    return secret;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
