import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config/config.ts';

const adminKey = 'k'.repeat(32);

describe('QTC_ADMIN_KEYS and KEY_ROTATION_GRACE_MS', () => {
  it('reads comma-separated admin keys and never serialises them', () => {
    const config = loadConfig({ QTC_ADMIN_KEYS: ` ${adminKey} , ${'m'.repeat(40)},` });
    expect(config.adminKeys).toEqual([adminKey, 'm'.repeat(40)]);
    expect(JSON.stringify(config)).not.toContain(adminKey);
    expect(JSON.stringify(config)).toContain('"adminKeys":"[redacted: 2]"');
    expect(loadConfig({}).adminKeys).toEqual([]);
  });

  it('refuses short admin keys without echoing them', () => {
    expect(() => loadConfig({ QTC_ADMIN_KEYS: 'short-secret' })).toThrow(/QTC_ADMIN_KEYS must be a comma-separated list of keys of at least 32 characters/);
    expect(() => loadConfig({ QTC_ADMIN_KEYS: 'short-secret' })).not.toThrow(/short-secret/);
  });

  it('defaults the rotation grace period to a day and accepts 0', () => {
    expect(loadConfig({}).keyRotationGraceMs).toBe(86_400_000);
    expect(loadConfig({ KEY_ROTATION_GRACE_MS: '0' }).keyRotationGraceMs).toBe(0);
    expect(() => loadConfig({ KEY_ROTATION_GRACE_MS: '-1' })).toThrow(/KEY_ROTATION_GRACE_MS must be a whole number/);
  });
});
