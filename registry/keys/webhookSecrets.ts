import { randomInt } from 'node:crypto';
import type { PgPool } from '../../data/postgres/pool.ts';
import { auditInTransaction, inTransaction } from '../transaction.ts';
import { teamNotFound } from './errors.ts';

/**
 * Per-team secrets for the Git webhook (`X-Hub-Signature-256: sha256=HMAC(secret, body)`, as
 * GitHub and Gitea send it). Stored in clear because verifying an HMAC needs the secret itself;
 * see the migration for why that is acceptable. `qtc_hook_` + 43 base62 characters (256 bits).
 */

export const WEBHOOK_SECRET_PREFIX = 'qtc_hook_';
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function newWebhookSecret(): string {
  let secret = WEBHOOK_SECRET_PREFIX;
  for (let i = 0; i < 43; i++) secret += BASE62[randomInt(BASE62.length)];
  return secret;
}

/** Creates or replaces the team's webhook secret and returns it (to paste into the Git host's webhook settings). */
export async function issueWebhookSecret(pool: PgPool, teamId: string, actor: string, now: Date = new Date()): Promise<string> {
  const secret = newWebhookSecret();
  await inTransaction(pool, async (client) => {
    const { rows } = await client.query<{ removed_at: Date | null }>('SELECT removed_at FROM teams WHERE id = $1 FOR SHARE', [teamId]);
    if (!rows[0] || rows[0].removed_at !== null) throw teamNotFound(teamId, rows[0] !== undefined);
    await client.query(
      `INSERT INTO team_webhook_secrets (team_id, secret, created_at, created_by) VALUES ($1, $2, $3, $4)
       ON CONFLICT (team_id) DO UPDATE SET secret = EXCLUDED.secret, created_at = EXCLUDED.created_at, created_by = EXCLUDED.created_by`,
      [teamId, secret, now, actor],
    );
    await auditInTransaction(client, { actor, kind: 'webhook_secret.issued', subject: teamId });
  });
  return secret;
}

/** The team's webhook secret; `undefined` when none was issued or the team was removed (refuse the hook). */
export async function getWebhookSecret(pool: PgPool, teamId: string): Promise<string | undefined> {
  const { rows } = await pool.query<{ secret: string }>(
    'SELECT s.secret FROM team_webhook_secrets s JOIN teams t ON t.id = s.team_id WHERE s.team_id = $1 AND t.removed_at IS NULL',
    [teamId],
  );
  return rows[0]?.secret;
}
