import { describe, expect, it } from 'vitest';
import { graceEnd, keyStatus, keyWorks, refusalReason } from '../../../registry/keys/status.ts';

const t0 = new Date('2025-07-08T14:00:00Z');
const at = (ms: number) => new Date(t0.getTime() + ms);
const HOUR = 3_600_000;

describe('key status over time (injected clock)', () => {
  const fresh = { createdAt: t0, expiresAt: null, revokedAt: null };

  it('a new key is active and works', () => {
    expect(keyStatus(fresh, at(10 * HOUR))).toBe('active');
    expect(keyWorks(fresh, at(10 * HOUR))).toBe(true);
    expect(refusalReason('k', fresh, at(0))).toBeUndefined();
  });

  it('a rotated key works until the end of its grace period, not one millisecond more', () => {
    const rotated = { ...fresh, expiresAt: graceEnd(fresh, at(HOUR), 24 * HOUR) };
    expect(rotated.expiresAt).toEqual(at(25 * HOUR));
    expect(keyStatus(rotated, at(HOUR))).toBe('grace');
    expect(keyStatus(rotated, at(25 * HOUR - 1))).toBe('grace');
    expect(keyStatus(rotated, at(25 * HOUR))).toBe('expired');
    expect(keyWorks(rotated, at(25 * HOUR))).toBe(false);
    expect(refusalReason('abc', rotated, at(26 * HOUR))).toBe('API key abc was rotated; its grace period ended at 2025-07-09T15:00:00.000Z: use the new key');
  });

  it('a zero grace period stops the old key at once', () => {
    const rotated = { ...fresh, expiresAt: graceEnd(fresh, at(HOUR), 0) };
    expect(keyWorks(rotated, at(HOUR))).toBe(false);
  });

  it('rotating never extends an old key', () => {
    const inGrace = { ...fresh, expiresAt: at(2 * HOUR) };
    expect(graceEnd(inGrace, at(HOUR), 24 * HOUR)).toEqual(at(2 * HOUR));
    expect(graceEnd(inGrace, at(HOUR), 30 * 60_000)).toEqual(at(90 * 60_000));
  });

  it('revocation wins over everything, from its instant on', () => {
    const revoked = { ...fresh, expiresAt: at(5 * HOUR), revokedAt: at(HOUR) };
    expect(keyStatus(revoked, at(HOUR - 1))).toBe('grace');
    expect(keyStatus(revoked, at(HOUR))).toBe('revoked');
    expect(refusalReason('abc', revoked, at(2 * HOUR))).toBe('API key abc was revoked at 2025-07-08T15:00:00.000Z');
  });
});
