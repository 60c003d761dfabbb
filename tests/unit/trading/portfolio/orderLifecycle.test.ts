import { describe, expect, it } from 'vitest';
import { advanceOnBrokerState, advanceOnFill, type OrderProgress } from '../../../../server/trading/portfolio/orderLifecycle.ts';

const fresh: OrderProgress = { quantity: 10, status: 'pending_submit', filledQuantity: 0, reservedQuantity: 10, appliedQuantity: 0 };

describe('advanceOnBrokerState', () => {
  it('moves forward and releases nothing before a terminal state', () => {
    expect(advanceOnBrokerState(fresh, { status: 'accepted', filledQuantity: 0 })).toEqual({ next: { ...fresh, status: 'accepted' }, release: 0 });
    const partial = advanceOnBrokerState({ ...fresh, status: 'accepted' }, { status: 'partially_filled', filledQuantity: 3 });
    expect(partial).toEqual({ next: { ...fresh, status: 'partially_filled', filledQuantity: 3 }, release: 0 });
  });

  it('ignores stale reports: lower status, or the same status without more filled', () => {
    const partial: OrderProgress = { ...fresh, status: 'partially_filled', filledQuantity: 3 };
    expect(advanceOnBrokerState(partial, { status: 'accepted', filledQuantity: 0 })).toBeNull();
    expect(advanceOnBrokerState(partial, { status: 'pending_submit', filledQuantity: 0 })).toBeNull();
    expect(advanceOnBrokerState(partial, { status: 'partially_filled', filledQuantity: 3 })).toBeNull();
    expect(advanceOnBrokerState(partial, { status: 'partially_filled', filledQuantity: 5 })?.next.filledQuantity).toBe(5);
  });

  it('never leaves a terminal state', () => {
    const canceled: OrderProgress = { ...fresh, status: 'canceled', reservedQuantity: 0 };
    for (const status of ['accepted', 'partially_filled', 'filled', 'rejected', 'expired'] as const) {
      expect(advanceOnBrokerState(canceled, { status, filledQuantity: 10 })).toBeNull();
    }
  });

  it('a terminal state releases the unfilled shares once, keeping filled-but-unapplied shares reserved', () => {
    const partial: OrderProgress = { ...fresh, status: 'partially_filled', filledQuantity: 4, appliedQuantity: 2, reservedQuantity: 8 };
    const canceled = advanceOnBrokerState(partial, { status: 'canceled', filledQuantity: 4 });
    expect(canceled).toEqual({ next: { ...partial, status: 'canceled', reservedQuantity: 2 }, release: 6 });
    expect(advanceOnBrokerState(canceled!.next, { status: 'canceled', filledQuantity: 4 })).toBeNull();
  });

  it('a rejection releases everything', () => {
    expect(advanceOnBrokerState(fresh, { status: 'rejected', filledQuantity: 0 })).toEqual({
      next: { ...fresh, status: 'rejected', reservedQuantity: 0 },
      release: 10,
    });
  });

  it('filled releases nothing: the fills release their own shares', () => {
    expect(advanceOnBrokerState(fresh, { status: 'filled', filledQuantity: 10 })).toEqual({
      next: { ...fresh, status: 'filled', filledQuantity: 10 },
      release: 0,
    });
  });
});

describe('advanceOnFill', () => {
  it('partial then complete fills move the status and release their shares', () => {
    const first = advanceOnFill({ ...fresh, status: 'accepted' }, 4);
    expect(first).toEqual({
      overfill: false,
      release: 4,
      next: { ...fresh, status: 'partially_filled', filledQuantity: 4, appliedQuantity: 4, reservedQuantity: 6 },
    });
    if (first.overfill) throw new Error('unexpected overfill');
    const second = advanceOnFill(first.next, 6);
    expect(second).toEqual({
      overfill: false,
      release: 6,
      next: { ...fresh, status: 'filled', filledQuantity: 10, appliedQuantity: 10, reservedQuantity: 0 },
    });
  });

  it('a fill arriving before the submission was acknowledged still counts', () => {
    const result = advanceOnFill(fresh, 10);
    expect(result.overfill).toBe(false);
    if (!result.overfill) expect(result.next.status).toBe('filled');
  });

  it('a fill after a cancel keeps the terminal status and releases only what is still reserved', () => {
    const canceled: OrderProgress = { quantity: 10, status: 'canceled', filledQuantity: 4, appliedQuantity: 2, reservedQuantity: 2 };
    expect(advanceOnFill(canceled, 2)).toEqual({
      overfill: false,
      release: 2,
      next: { ...canceled, appliedQuantity: 4, reservedQuantity: 0 },
    });
    expect(advanceOnFill({ ...canceled, appliedQuantity: 4, reservedQuantity: 0 }, 1)).toMatchObject({ overfill: false, release: 0 });
  });

  it('refuses fills beyond the ordered quantity', () => {
    expect(advanceOnFill({ ...fresh, appliedQuantity: 8, reservedQuantity: 2 }, 3)).toEqual({ overfill: true });
  });
});
