import { describe, expect, it } from 'vitest';
import { CLIENT_ORDER_ID_MAX_LENGTH, clientOrderId, parseClientOrderId } from '../../../../server/trading/clientOrderId.ts';

const minute = Date.parse('2025-07-08T13:31:00Z');

describe('clientOrderId', () => {
  it('is t-<team>-<yyyyMMddHHmm UTC>-<seq>', () => {
    expect(clientOrderId('alpha-team', minute, 3)).toBe('t-alpha-team-202507081331-3');
  });

  it('is deterministic and round-trips through parseClientOrderId', () => {
    const id = clientOrderId('team_2', minute, 17);
    expect(clientOrderId('team_2', minute, 17)).toBe(id);
    expect(parseClientOrderId(id)).toEqual({ teamId: 'team_2', minute, seq: 17 });
  });

  it('keeps to [A-Za-z0-9_-] and at most 128 characters', () => {
    const id = clientOrderId('x'.repeat(100), minute, 999_999_999);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(id.length).toBeLessThanOrEqual(CLIENT_ORDER_ID_MAX_LENGTH);
    expect(() => clientOrderId('x'.repeat(120), minute, 1)).toThrow(/at most 128/);
  });

  it('refuses inputs that could not be parsed back', () => {
    expect(() => clientOrderId('a b', minute, 1)).toThrow(RangeError);
    expect(() => clientOrderId('a#2', minute, 1)).toThrow(RangeError);
    expect(() => clientOrderId('team', minute + 1, 1)).toThrow(/whole minute/);
    expect(() => clientOrderId('team', minute, 0)).toThrow(/sequence/);
    expect(() => clientOrderId('team', minute, 1.5)).toThrow(/sequence/);
  });
});

describe('parseClientOrderId', () => {
  it('returns null for ids that are not ours, so attribution never guesses', () => {
    for (const foreign of [
      '',
      'manual-order',
      '6a1b2c3d-1111-2222-3333-444455556666',
      't-team-202507081331', // no sequence
      't-team-202507081331-0', // sequences start at 1
      't-team-20250708133-1', // 11-digit stamp
      't-team-202502301331-1', // 30 February
      't-team-202507082461-1', // 24:61
      't--202507081331-1', // no team
      'x-team-202507081331-1',
      `t-${'x'.repeat(130)}-202507081331-1`,
    ]) {
      expect(parseClientOrderId(foreign), foreign).toBeNull();
    }
  });

  it('takes the team from everything between the prefix and the stamp, dashes included', () => {
    expect(parseClientOrderId('t-my-team-1-202512312359-2')).toEqual({ teamId: 'my-team-1', minute: Date.parse('2025-12-31T23:59:00Z'), seq: 2 });
  });
});
