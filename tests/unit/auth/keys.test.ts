import type * as Crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

// Counts the constant-time comparisons the code under test makes, leaving their result intact.
const compared = vi.hoisted(() => ({ count: 0 }));
vi.mock('node:crypto', async (importOriginal) => {
  const actual = await importOriginal<typeof Crypto>();
  return {
    ...actual,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      compared.count++;
      return actual.timingSafeEqual(a, b);
    },
  };
});

const { DUMMY_SECRET_HASH, generateTeamKey, hashSecret, parseTeamKey, secretMatchesHash, looksLikeTeamKey } = await import('../../../registry/keys/format.ts');
const { AdminKeys } = await import('../../../server/auth/adminKeys.ts');

describe('team key format', () => {
  it('is qtc_team_<12 base62 id>_<43 base62 secret>, and parses back', () => {
    const generated = generateTeamKey();
    expect(generated.key).toMatch(/^qtc_team_[0-9A-Za-z]{12}_[0-9A-Za-z]{43}$/);
    const parsed = parseTeamKey(generated.key);
    expect(parsed?.keyId).toBe(generated.keyId);
    expect(hashSecret(parsed!.secret)).toEqual(generated.secretHash);
    expect(looksLikeTeamKey(generated.key)).toBe(true);
  });

  it('carries at least 256 bits in the secret', () => {
    expect(43 * Math.log2(62)).toBeGreaterThanOrEqual(256);
  });

  it('draws different keys every time, using every base62 character', () => {
    const keys = Array.from({ length: 200 }, () => generateTeamKey());
    expect(new Set(keys.map((k) => k.key)).size).toBe(200);
    expect(new Set(keys.map((k) => k.keyId)).size).toBe(200);
    const characters = new Set(keys.flatMap((k) => [...parseTeamKey(k.key)!.secret]));
    expect(characters.size).toBe(62);
  });

  it('rejects anything else', () => {
    const { key } = generateTeamKey();
    for (const bad of ['', 'qtc_team_', key.slice(0, -1), `${key}A`, key.replace('qtc_team_', 'qtc_teams_'), key.replace(/_([^_]*)$/, '-$1'), ` ${key}`, key.replace(/.$/, '+')]) {
      expect(parseTeamKey(bad), bad).toBeUndefined();
    }
  });

  it('stores a 32-byte SHA-256 that does not contain the secret', () => {
    const { key, secretHash } = generateTeamKey();
    const secret = parseTeamKey(key)!.secret;
    expect(secretHash.length).toBe(32);
    expect(secretHash.toString('hex')).not.toContain(Buffer.from(secret).toString('hex'));
  });
});

describe('constant-time comparisons', () => {
  it('compares a presented secret with timingSafeEqual, also against the dummy hash for unknown ids', () => {
    const { key, secretHash } = generateTeamKey();
    const secret = parseTeamKey(key)!.secret;
    compared.count = 0;
    expect(secretMatchesHash(secret, secretHash)).toBe(true);
    // Another last character (a random base-62 secret ends in 'x' one time in 62: replacing it by 'x' changed nothing).
    const otherLast = secret.endsWith('x') ? 'y' : 'x';
    expect(secretMatchesHash(`${secret.slice(0, -1)}${otherLast}`, secretHash)).toBe(false);
    expect(secretMatchesHash(secret, DUMMY_SECRET_HASH)).toBe(false);
    expect(compared.count).toBe(3);
  });

  it('checks an admin key against every configured key, whichever matches', () => {
    const keys = ['a'.repeat(40), 'b'.repeat(40), 'c'.repeat(40)];
    const admin = new AdminKeys(keys);
    for (const candidate of [keys[0]!, keys[2]!, 'nope']) {
      compared.count = 0;
      admin.match(candidate);
      expect(compared.count).toBe(3);
    }
    expect(admin.match(keys[1]!)?.actor).toMatch(/^admin:[0-9a-f]{8}$/);
    expect(admin.match(keys[1]!)?.actor).not.toBe(admin.match(keys[0]!)?.actor);
    expect(admin.match(`${keys[1]!}b`)).toBeUndefined();
    expect(new AdminKeys([]).match('')).toBeUndefined();
  });
});
