import { describe, expect, it } from 'vitest';
import { generateTeamKey } from '../../../registry/keys/format.ts';
import { redactKeysInUrl } from '../../../server/auth/redactLog.ts';

describe('redactKeysInUrl', () => {
  const { key, keyId } = generateTeamKey();

  it('replaces every key= value, whatever it is', () => {
    expect(redactKeysInUrl(`/api/v1/team/a?key=${key}`)).toBe('/api/v1/team/a?key=[redacted]');
    expect(redactKeysInUrl('/x?a=1&key=admin-secret&b=2')).toBe('/x?a=1&key=[redacted]&b=2');
    expect(redactKeysInUrl('/x?KEY=s3cret#frag')).toBe('/x?KEY=[redacted]#frag');
    expect(redactKeysInUrl('/x?monkey=1&key=a&key=b')).toBe('/x?monkey=1&key=[redacted]&key=[redacted]');
  });

  it('keeps the key id but not the secret of a team key elsewhere in the URL', () => {
    expect(redactKeysInUrl(`/line/${key}`)).toBe(`/line/qtc_team_${keyId}_[redacted]`);
  });

  it('leaves other URLs alone', () => {
    expect(redactKeysInUrl('/api/v1/leaderboard?limit=10')).toBe('/api/v1/leaderboard?limit=10');
  });
});
