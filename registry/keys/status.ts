/**
 * The life of an API key, as pure functions of its record and the time: the database stores
 * instants, and every decision about them is made here with an injected "now".
 */

export interface KeyTimes {
  createdAt: Date;
  /** Set by a rotation: the end of the grace period during which the old key still works. */
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/**
 * - `active`: works, no end set;
 * - `grace`: rotated, still works until `expiresAt`;
 * - `expired`: rotated and the grace period is over;
 * - `revoked`: stopped by an admin (takes precedence over everything else).
 */
export type KeyStatus = 'active' | 'grace' | 'expired' | 'revoked';

export function keyStatus(key: KeyTimes, now: Date): KeyStatus {
  if (key.revokedAt !== null && key.revokedAt.getTime() <= now.getTime()) return 'revoked';
  if (key.expiresAt === null) return 'active';
  return now.getTime() < key.expiresAt.getTime() ? 'grace' : 'expired';
}

export function keyWorks(key: KeyTimes, now: Date): boolean {
  const status = keyStatus(key, now);
  return status === 'active' || status === 'grace';
}

/**
 * When a key rotated at `now` stops working. A key already inside a grace period keeps the
 * earlier end: rotating twice never extends the life of an old key.
 */
export function graceEnd(key: KeyTimes, now: Date, graceMs: number): Date {
  const end = new Date(now.getTime() + graceMs);
  return key.expiresAt !== null && key.expiresAt.getTime() < end.getTime() ? key.expiresAt : end;
}

/** Why a key that matched its secret is refused: shown only to whoever holds the whole key. */
export function refusalReason(keyId: string, key: KeyTimes, now: Date): string | undefined {
  switch (keyStatus(key, now)) {
    case 'revoked':
      return `API key ${keyId} was revoked at ${key.revokedAt!.toISOString()}`;
    case 'expired':
      return `API key ${keyId} was rotated; its grace period ended at ${key.expiresAt!.toISOString()}: use the new key`;
    default:
      return undefined;
  }
}
