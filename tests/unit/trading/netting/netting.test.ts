import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { allocate, allocationExecutionId, crossIntents, netClientOrderId, netGroup, type NetMember } from '../../../../server/trading/netting/netting.ts';
import { toMoney } from '../../../../server/trading/money.ts';
import type { OrderIntent } from '../../../../server/trading/types.ts';

const MINUTE = Date.UTC(2026, 11, 3, 15, 31);

function intent(teamId: string, side: 'buy' | 'sell', quantity: number, overrides: Partial<OrderIntent> = {}): OrderIntent {
  return {
    clientOrderId: `t-${teamId}-202612031531-1`,
    teamId,
    minute: MINUTE,
    seq: 1,
    symbol: 'AAPL',
    side,
    quantity,
    type: 'market',
    limitPrice: null,
    referencePrice: toMoney(200),
    reason: null,
    ...overrides,
  };
}

const memberArb = fc.record({ teamId: fc.stringMatching(/^[a-z]{1,3}$/), side: fc.constantFrom('buy' as const, 'sell' as const), quantity: fc.integer({ min: 1, max: 5_000 }) });
const membersArb = fc
  .uniqueArray(memberArb, { minLength: 1, maxLength: 40, selector: (m) => m.teamId })
  .map((members) => members.map((m): NetMember => ({ ...m, clientOrderId: `t-${m.teamId}-202612031531-1` })));

describe('crossing', () => {
  it('nets buys against sells per minute and symbol, sending only the net under an id naming minute, symbol and side', () => {
    const groups = crossIntents([
      intent('a', 'buy', 100),
      intent('b', 'sell', 30),
      intent('c', 'sell', 70, { symbol: 'MSFT' }),
      intent('d', 'buy', 5, { type: 'limit', limitPrice: toMoney(199) }),
    ]);
    expect(groups.map((g) => [g.symbol, g.side, g.netQuantity, g.netClientOrderId])).toEqual([
      ['AAPL', 'buy', 70, 'n-202612031531-AAPL-buy'],
      ['MSFT', 'sell', 70, 'n-202612031531-MSFT-sell'],
    ]);
    const zero = crossIntents([intent('a', 'buy', 10), intent('b', 'sell', 10)]);
    expect(zero[0]).toMatchObject({ side: null, netQuantity: 0, netClientOrderId: null });
  });

  it("keeps net order ids within Alpaca's 128 characters of [A-Za-z0-9_-]", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.constantFrom('buy' as const, 'sell' as const), (symbol, side) => {
        const id = netClientOrderId(MINUTE, symbol, side);
        expect(id).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
      }),
    );
    expect(netClientOrderId(MINUTE, 'BRK.B', 'sell')).toBe('n-202612031531-BRK_2eB-sell');
  });
});

describe('allocation', () => {
  it('worked example: A buys 100, B buys 50, C sells 60 → net buy 90; 45 filled → C 60, A 70, B 35', () => {
    const group = netGroup(MINUTE, 'AAPL', [
      { clientOrderId: 'a', teamId: 'A', side: 'buy', quantity: 100 },
      { clientOrderId: 'b', teamId: 'B', side: 'buy', quantity: 50 },
      { clientOrderId: 'c', teamId: 'C', side: 'sell', quantity: 60 },
    ]);
    expect(group).toMatchObject({ side: 'buy', netQuantity: 90 });
    expect(Object.fromEntries(allocate(group, 90))).toEqual({ a: 100, b: 50, c: 60 });
    expect(Object.fromEntries(allocate(group, 45))).toEqual({ a: 70, b: 35, c: 60 });
    expect(Object.fromEntries(allocate(group, 0))).toEqual({ a: 40, b: 20, c: 60 });
  });

  it('breaks equal remainders by team id', () => {
    const group = netGroup(MINUTE, 'AAPL', [
      { clientOrderId: 'z', teamId: 'zed', side: 'buy', quantity: 1 },
      { clientOrderId: 'y', teamId: 'amy', side: 'buy', quantity: 1 },
    ]);
    expect(Object.fromEntries(allocate(group, 1))).toEqual({ y: 1, z: 0 });
  });

  it('property: whole shares, each ≤ its order, buys − sells = the signed net fill, crossed side in full, deterministic', () => {
    fc.assert(
      fc.property(membersArb, fc.double({ min: 0, max: 1, noNaN: true }), (members, fraction) => {
        const group = netGroup(MINUTE, 'AAPL', members);
        const filled = Math.floor(group.netQuantity * fraction);
        const allocation = allocate(group, filled);
        let signed = 0;
        for (const member of members) {
          const shares = allocation.get(member.clientOrderId)!;
          expect(Number.isInteger(shares)).toBe(true);
          expect(shares).toBeGreaterThanOrEqual(0);
          expect(shares).toBeLessThanOrEqual(member.quantity);
          if (group.side !== null && member.side !== group.side) expect(shares).toBe(member.quantity);
          signed += member.side === 'buy' ? shares : -shares;
        }
        const expected = group.side === null || filled === 0 ? 0 : group.side === 'buy' ? filled : -filled;
        expect(signed).toBe(expected);
        // Same inputs in any order: same allocation.
        const again = allocate(netGroup(MINUTE, 'AAPL', [...members].reverse()), filled);
        expect([...again].sort()).toEqual([...allocation].sort());
      }),
      { numRuns: 500 },
    );
  });

  it('property: pro rata within one share (largest remainder)', () => {
    fc.assert(
      fc.property(membersArb, fc.double({ min: 0, max: 1, noNaN: true }), (members, fraction) => {
        const group = netGroup(MINUTE, 'AAPL', members);
        if (group.side === null) return;
        const filled = Math.floor(group.netQuantity * fraction);
        const allocation = allocate(group, filled);
        const netSide = members.filter((m) => m.side === group.side);
        const total = netSide.reduce((s, m) => s + m.quantity, 0);
        const share = total - group.netQuantity + filled;
        for (const member of netSide) {
          const exact = (member.quantity * share) / total;
          const got = allocation.get(member.clientOrderId)!;
          expect(got === Math.floor(exact) || got === Math.ceil(exact)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('gives each member a distinct, re-derivable execution id', () => {
    const group = netGroup(MINUTE, 'AAPL', [
      { clientOrderId: 't-a-202612031531-1', teamId: 'a', side: 'buy', quantity: 3 },
      { clientOrderId: 't-b-202612031531-1', teamId: 'b', side: 'sell', quantity: 3 },
    ]);
    expect(allocationExecutionId(group, 't-a-202612031531-1')).toBe('x-202612031531-AAPL-t-a-202612031531-1');
  });
});
