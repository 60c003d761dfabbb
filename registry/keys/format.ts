import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Team API keys look like `qtc_team_<keyId>_<secret>`:
 * - `qtc_team_` makes a leaked key recognisable (secret scanners, log greps);
 * - `keyId` (12 base62 characters) is not secret: it names the key in the database, in the
 *   admin API and in audit events, and lets a request be checked with one indexed lookup;
 * - `secret` is 43 base62 characters drawn uniformly (43 × log2(62) ≈ 256.03 bits).
 * Base62 keeps the key one "word" (a double click selects all of it) and URL-safe for `?key=`.
 */

export const TEAM_KEY_PREFIX = 'qtc_team_';
export const KEY_ID_LENGTH = 12;
export const SECRET_LENGTH = 43;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(`^${TEAM_KEY_PREFIX}([0-9A-Za-z]{${KEY_ID_LENGTH}})_([0-9A-Za-z]{${SECRET_LENGTH}})$`);
export const KEY_ID_PATTERN = new RegExp(`^[0-9A-Za-z]{${KEY_ID_LENGTH}}$`);

/** `randomInt` draws from the CSPRNG without modulo bias, so every character carries log2(62) bits. */
function randomBase62(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += BASE62[randomInt(BASE62.length)];
  return out;
}

export interface GeneratedKey {
  keyId: string;
  /** The whole key, to show once and never store. */
  key: string;
  /** What is stored: see hashSecret. */
  secretHash: Buffer;
}

export function generateTeamKey(): GeneratedKey {
  const keyId = randomBase62(KEY_ID_LENGTH);
  const secret = randomBase62(SECRET_LENGTH);
  return { keyId, key: `${TEAM_KEY_PREFIX}${keyId}_${secret}`, secretHash: hashSecret(secret) };
}

export interface ParsedKey {
  keyId: string;
  secret: string;
}

/** `undefined` for anything that is not a well-formed team key. */
export function parseTeamKey(candidate: string): ParsedKey | undefined {
  const match = KEY_PATTERN.exec(candidate);
  if (!match) return undefined;
  return { keyId: match[1]!, secret: match[2]! };
}

export function looksLikeTeamKey(candidate: string): boolean {
  return candidate.startsWith(TEAM_KEY_PREFIX);
}

/**
 * SHA-256 of the secret, not a slow password hash: slow hashes exist to make guessing
 * low-entropy passwords expensive, and a 256-bit uniformly random secret cannot be guessed
 * whatever the hash speed. A fast hash keeps checking a key on every request cheap, and a
 * database dump still reveals no usable key.
 */
export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/**
 * Compares a presented secret with a stored hash in time independent of where they differ.
 * Both sides are 32-byte digests, so `timingSafeEqual` never sees different lengths.
 */
export function secretMatchesHash(secret: string, storedHash: Buffer): boolean {
  const presented = hashSecret(secret);
  return storedHash.length === presented.length && timingSafeEqual(presented, storedHash);
}

/** Used when no key with the presented id exists, so that path costs the same as a wrong secret. */
export const DUMMY_SECRET_HASH: Buffer = hashSecret(randomBase62(SECRET_LENGTH));
