/**
 * How an order's progress moves when the broker reports a state or a fill arrives, as pure rules:
 * statuses only move forward (a late "accepted" never overwrites "filled"), filled quantity never
 * shrinks, and each share's reservation is released exactly once — by its fill, or by the terminal
 * state for the shares that will never fill. Fills and states may arrive in any order.
 */
import { TERMINAL_ORDER_STATUSES, type BrokerOrderState, type OrderStatus } from '../types.ts';

export interface OrderProgress {
  /** Ordered shares. */
  quantity: number;
  status: OrderStatus;
  /** Cumulative filled shares as known (broker report or applied fills, whichever is more). */
  filledQuantity: number;
  /** Shares whose claim (cash for a buy, shares for a sell) is still reserved in the team's book. */
  reservedQuantity: number;
  /** Shares of the fills applied to the book. */
  appliedQuantity: number;
}

const STATUS_RANK: Record<OrderStatus, number> = {
  pending_submit: 0,
  accepted: 1,
  partially_filled: 2,
  filled: 3,
  canceled: 3,
  expired: 3,
  rejected: 3,
};

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_ORDER_STATUSES.has(status);
}

export interface Advance {
  next: OrderProgress;
  /** Shares whose reservation this step gives back. */
  release: number;
}

/** The progress after a broker state report, or null when the report is stale (nothing changes). */
export function advanceOnBrokerState(progress: OrderProgress, state: Pick<BrokerOrderState, 'status' | 'filledQuantity'>): Advance | null {
  if (isTerminal(progress.status)) return null;
  const from = STATUS_RANK[progress.status];
  const to = STATUS_RANK[state.status];
  const forward = to > from || (to === from && state.filledQuantity > progress.filledQuantity);
  if (!forward) return null;
  const filledQuantity = Math.max(progress.filledQuantity, state.filledQuantity, progress.appliedQuantity);
  // Shares filled at the broker keep their reservation until their fill is applied.
  const release = isTerminal(state.status) ? Math.min(progress.reservedQuantity, Math.max(0, progress.quantity - filledQuantity)) : 0;
  return {
    next: { ...progress, status: state.status, filledQuantity, reservedQuantity: progress.reservedQuantity - release },
    release,
  };
}

export type FillAdvance = (Advance & { overfill: false }) | { overfill: true };

/**
 * The progress after a fill of `quantity` shares. A fill taking the applied total past the ordered
 * quantity is an overfill: the caller refuses it rather than guessing which execution is wrong.
 */
export function advanceOnFill(progress: OrderProgress, quantity: number): FillAdvance {
  const appliedQuantity = progress.appliedQuantity + quantity;
  if (appliedQuantity > progress.quantity) return { overfill: true };
  const release = Math.min(quantity, progress.reservedQuantity);
  let status = progress.status;
  if (!isTerminal(status)) {
    if (appliedQuantity === progress.quantity) status = 'filled';
    else if (STATUS_RANK[status] < STATUS_RANK.partially_filled) status = 'partially_filled';
  }
  return {
    overfill: false,
    release,
    next: {
      ...progress,
      status,
      filledQuantity: Math.max(progress.filledQuantity, appliedQuantity),
      appliedQuantity,
      reservedQuantity: progress.reservedQuantity - release,
    },
  };
}
