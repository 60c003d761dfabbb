import type pg from 'pg';
import type { PgPool } from '../../data/postgres/pool.ts';
import { auditInTransaction, inTransaction } from '../transaction.ts';
import { AdminRequestError, keyNotFound, teamNotFound } from './errors.ts';
import { DUMMY_SECRET_HASH, generateTeamKey, KEY_ID_PATTERN, parseTeamKey, secretMatchesHash } from './format.ts';
import { graceEnd, keyStatus, keyWorks, refusalReason, type KeyStatus } from './status.ts';

/** A key as admins see it: never its secret or hash. */
export interface ApiKeyInfo {
  keyId: string;
  teamId: string;
  status: KeyStatus;
  createdAt: Date;
  createdBy: string;
  expiresAt: Date | null;
  revokedAt: Date | null;
  replacedBy: string | null;
  lastUsedAt: Date | null;
}

export interface IssuedKey {
  /** The whole key: shown once, then only its hash exists. */
  key: string;
  info: ApiKeyInfo;
}

export interface RotatedKey extends IssuedKey {
  /** The old key, now in its grace period (see `expiresAt`). */
  previous: ApiKeyInfo;
}

export type KeyVerification =
  | { ok: true; teamId: string; keyId: string }
  /** `message` never says whether a key id exists unless the caller proved they hold the whole key. */
  | { ok: false; message: string };

export const INVALID_KEY_MESSAGE = 'invalid API key';

export interface ApiKeyStoreOptions {
  pool: PgPool;
  /** How long a rotated key keeps working. */
  graceMs: number;
  clock?: () => Date;
  /** `last_used_at` is written at most this often per key, so busy keys cost no write per request. */
  lastUsedResolutionMs?: number;
}

interface KeyRow {
  key_id: string;
  team_id: string;
  secret_hash: Buffer;
  created_at: Date;
  created_by: string;
  expires_at: Date | null;
  revoked_at: Date | null;
  replaced_by: string | null;
  last_used_at: Date | null;
}

const KEY_COLUMNS = 'key_id, team_id, secret_hash, created_at, created_by, expires_at, revoked_at, replaced_by, last_used_at';

/** Per-team API keys in Postgres: issue, rotate, revoke, list, and check a presented key. */
export class ApiKeyStore {
  private readonly pool: PgPool;
  private readonly graceMs: number;
  private readonly clock: () => Date;
  private readonly lastUsedResolutionMs: number;
  private readonly lastUsedWritten = new Map<string, number>();

  constructor(options: ApiKeyStoreOptions) {
    this.pool = options.pool;
    this.graceMs = options.graceMs;
    this.clock = options.clock ?? (() => new Date());
    this.lastUsedResolutionMs = options.lastUsedResolutionMs ?? 60_000;
  }

  private info(row: KeyRow, now: Date): ApiKeyInfo {
    return {
      keyId: row.key_id,
      teamId: row.team_id,
      status: keyStatus({ createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at }, now),
      createdAt: row.created_at,
      createdBy: row.created_by,
      expiresAt: row.expires_at,
      revokedAt: row.revoked_at,
      replacedBy: row.replaced_by,
      lastUsedAt: row.last_used_at,
    };
  }

  private static async requireLiveTeam(client: pg.PoolClient, teamId: string): Promise<void> {
    const { rows } = await client.query<{ removed_at: Date | null }>('SELECT removed_at FROM teams WHERE id = $1 FOR SHARE', [teamId]);
    const team = rows[0];
    if (!team || team.removed_at !== null) throw teamNotFound(teamId, team !== undefined);
  }

  private static async insertKey(client: pg.PoolClient, teamId: string, actor: string, now: Date): Promise<{ key: string; row: KeyRow }> {
    const generated = generateTeamKey();
    const { rows } = await client.query<KeyRow>(
      `INSERT INTO api_keys (key_id, team_id, secret_hash, created_at, created_by) VALUES ($1, $2, $3, $4, $5) RETURNING ${KEY_COLUMNS}`,
      [generated.keyId, teamId, generated.secretHash, now, actor],
    );
    return { key: generated.key, row: rows[0]! };
  }

  /** A new key for a team that is in the registry (synced into `teams`, not removed). */
  async issue(teamId: string, actor: string): Promise<IssuedKey> {
    const now = this.clock();
    return inTransaction(this.pool, async (client) => {
      await ApiKeyStore.requireLiveTeam(client, teamId);
      const { key, row } = await ApiKeyStore.insertKey(client, teamId, actor, now);
      await auditInTransaction(client, { actor, kind: 'api_key.issued', subject: teamId, details: { keyId: row.key_id } });
      return { key, info: this.info(row, now) };
    });
  }

  /** A new key for the same team; the old one keeps working for the grace period, then stops. */
  async rotate(keyId: string, actor: string): Promise<RotatedKey> {
    if (!KEY_ID_PATTERN.test(keyId)) throw keyNotFound(keyId);
    const now = this.clock();
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_id = $1 FOR UPDATE`, [keyId]);
      const old = rows[0];
      if (!old) throw keyNotFound(keyId);
      const times = { createdAt: old.created_at, expiresAt: old.expires_at, revokedAt: old.revoked_at };
      if (!keyWorks(times, now)) {
        throw new AdminRequestError(409, 'key_not_active', `${refusalReason(keyId, times, now) ?? `API key ${keyId} does not work`}; issue a new key instead`);
      }
      if (old.replaced_by !== null) {
        throw new AdminRequestError(409, 'key_already_rotated', `API key ${keyId} was already rotated into ${old.replaced_by}; rotate that key instead`);
      }
      await ApiKeyStore.requireLiveTeam(client, old.team_id);
      const { key, row } = await ApiKeyStore.insertKey(client, old.team_id, actor, now);
      const expiresAt = graceEnd(times, now, this.graceMs);
      const updated = await client.query<KeyRow>(`UPDATE api_keys SET expires_at = $2, replaced_by = $3 WHERE key_id = $1 RETURNING ${KEY_COLUMNS}`, [
        keyId,
        expiresAt,
        row.key_id,
      ]);
      await auditInTransaction(client, {
        actor,
        kind: 'api_key.rotated',
        subject: old.team_id,
        details: { keyId, newKeyId: row.key_id, oldKeyExpiresAt: expiresAt.toISOString() },
      });
      return { key, info: this.info(row, now), previous: this.info(updated.rows[0]!, now) };
    });
  }

  /** Stops a key at once. Revoking a revoked key changes nothing and is not an error. */
  async revoke(keyId: string, actor: string): Promise<ApiKeyInfo> {
    if (!KEY_ID_PATTERN.test(keyId)) throw keyNotFound(keyId);
    const now = this.clock();
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_id = $1 FOR UPDATE`, [keyId]);
      let row = rows[0];
      if (!row) throw keyNotFound(keyId);
      if (row.revoked_at === null) {
        const updated = await client.query<KeyRow>(`UPDATE api_keys SET revoked_at = $2 WHERE key_id = $1 RETURNING ${KEY_COLUMNS}`, [keyId, now]);
        row = updated.rows[0]!;
        await auditInTransaction(client, { actor, kind: 'api_key.revoked', subject: row.team_id, details: { keyId } });
      }
      return this.info(row, now);
    });
  }

  async get(keyId: string): Promise<ApiKeyInfo | undefined> {
    if (!KEY_ID_PATTERN.test(keyId)) return undefined;
    const { rows } = await this.pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE key_id = $1`, [keyId]);
    return rows[0] && this.info(rows[0], this.clock());
  }

  /** Every key (of one team, if given), oldest first, with its status now. */
  async list(teamId?: string): Promise<ApiKeyInfo[]> {
    const now = this.clock();
    const { rows } = await this.pool.query<KeyRow>(`SELECT ${KEY_COLUMNS} FROM api_keys WHERE $1::text IS NULL OR team_id = $1 ORDER BY team_id, created_at, key_id`, [
      teamId ?? null,
    ]);
    return rows.map((row) => this.info(row, now));
  }

  /**
   * Checks a presented key: one lookup by key id, then a constant-time comparison of hashes.
   * An unknown key id costs the same comparison (against a dummy hash) and gets the same answer
   * as a wrong secret, so answers and timing do not tell which key ids exist.
   */
  async verify(presented: string): Promise<KeyVerification> {
    const parsed = parseTeamKey(presented);
    if (!parsed) return { ok: false, message: INVALID_KEY_MESSAGE };
    const { rows } = await this.pool.query<KeyRow & { team_removed_at: Date | null }>(
      `SELECT k.key_id, k.team_id, k.secret_hash, k.created_at, k.expires_at, k.revoked_at, t.removed_at AS team_removed_at
         FROM api_keys k JOIN teams t ON t.id = k.team_id WHERE k.key_id = $1`,
      [parsed.keyId],
    );
    const row = rows[0];
    const matches = secretMatchesHash(parsed.secret, row?.secret_hash ?? DUMMY_SECRET_HASH);
    if (!row || !matches) return { ok: false, message: INVALID_KEY_MESSAGE };
    const now = this.clock();
    const refusal = refusalReason(row.key_id, { createdAt: row.created_at, expiresAt: row.expires_at, revokedAt: row.revoked_at }, now);
    if (refusal) return { ok: false, message: refusal };
    if (row.team_removed_at !== null) return { ok: false, message: `team "${row.team_id}" was removed from the competition` };
    await this.touch(row.key_id, now);
    return { ok: true, teamId: row.team_id, keyId: row.key_id };
  }

  private async touch(keyId: string, now: Date): Promise<void> {
    const last = this.lastUsedWritten.get(keyId);
    if (last !== undefined && now.getTime() - last < this.lastUsedResolutionMs) return;
    this.lastUsedWritten.set(keyId, now.getTime());
    await this.pool.query('UPDATE api_keys SET last_used_at = $2 WHERE key_id = $1 AND (last_used_at IS NULL OR last_used_at < $2)', [keyId, now]);
  }
}
