/**
 * What a batch of broker events (fills and order states) does to the ledger, as a pure function of the
 * rows read under lock: the events are taken one after the other, each seeing the books and orders as the
 * ones before it left them — exactly what applying them one transaction at a time would do — and the
 * result is the list of writes (fills, flags, order rows, book rows) plus one outcome per event.
 *
 * Rules per event (the same for one event or a thousand):
 *  - a client order id with no recorded order is flagged as unattributed (ours in format or foreign);
 *  - an event contradicting the recorded intent (symbol, side, and for states quantity) is flagged;
 *  - an order state moves the order forward only; a terminal state releases the unfilled reservation once;
 *  - a fill is claimed by its execution id: one already recorded (before, or earlier in the batch) is a
 *    duplicate and changes nothing; a new one is recorded, and applied unless it would overfill the order or
 *    the book cannot take it (then it is recorded as refused, with the reason).
 */
import { parseClientOrderId } from '../trading/clientOrderId.ts';
import type { Money } from '../trading/money.ts';
import { applyFill as applyFillToBook, BookError, releaseReservation } from '../trading/portfolio/book.ts';
import { advanceOnBrokerState, advanceOnFill, type OrderProgress } from '../trading/portfolio/orderLifecycle.ts';
import type { BrokerOrderState, Fill, OrderIntent, OrderStatus, TeamBook } from '../trading/types.ts';
import type { FillRecord } from './fills.ts';
import type { OrderUpdate, StoredOrder } from './orders.ts';
import type { FlaggedBrokerEvent } from './unattributed.ts';

export type BrokerEvent = { kind: 'fill'; fill: Fill } | { kind: 'state'; state: BrokerOrderState };

export interface RecordedBrokerState {
  clientOrderId: string;
  /** advanced: the order moved forward; stale: older or equal news, ignored; unattributed / flagged: stored for review, not applied. */
  outcome: 'advanced' | 'stale' | 'unattributed' | 'flagged';
  teamId: string | null;
  /** The order's status after this call (null when not ours). */
  status: OrderStatus | null;
  /** Shares whose reservation this call released. */
  released: number;
  reason: string | null;
}

export interface AppliedFillResult {
  executionId: string;
  /**
   * applied: changed the team's book; duplicate: this execution was recorded before, nothing changed;
   * unattributed: not our client order id (flagged); flagged: ours, but contradicts the order (symbol/side);
   * refused: recorded, but the book could not take it (overfill, cash or shares below zero) — see reason.
   */
  outcome: 'applied' | 'duplicate' | 'unattributed' | 'flagged' | 'refused';
  teamId: string | null;
  closedTradePnl: Money | null;
  reason: string | null;
}

export type BrokerEventResult = { kind: 'fill'; result: AppliedFillResult } | { kind: 'state'; result: RecordedBrokerState };

export interface NewFill {
  fill: Fill;
  teamId: string;
  record: FillRecord;
}

export interface BrokerEventPlan {
  /** One per event, in the events' order. */
  results: BrokerEventResult[];
  /** Executions to record (each id once; applied or refused). */
  fills: NewFill[];
  /** Events to store for review, in the events' order. */
  flags: FlaggedBrokerEvent[];
  /** The final row of every order that changed. */
  orders: Array<{ clientOrderId: string; update: OrderUpdate }>;
  /** Books that changed: as read, and after the batch. */
  books: Array<readonly [before: TeamBook, after: TeamBook]>;
}

export interface LockedRows {
  /** The team of every client order id that has a recorded order. */
  teamOf: ReadonlyMap<string, string>;
  /** The books of those teams, read under lock. */
  books: ReadonlyMap<string, TeamBook>;
  /** Those orders, read under lock. */
  orders: ReadonlyMap<string, StoredOrder>;
  /** Execution ids among the events' that are already in `fills`. */
  recordedExecutions: ReadonlySet<string>;
}

export const FOREIGN_ID = 'client order id was not issued by this server';
export const UNKNOWN_ID = 'client order id has our format but no intent was recorded for it';

export const eventOrderId = (event: BrokerEvent): string => (event.kind === 'fill' ? event.fill.clientOrderId : event.state.clientOrderId);

interface OrderRow {
  order: StoredOrder;
  /** Latest broker timestamp of the batch, null when no state carried one (the stored value stays). */
  brokerUpdatedAt: number | null;
  changed: boolean;
}

export function planBrokerEvents(events: readonly BrokerEvent[], rows: LockedRows): BrokerEventPlan {
  const books = new Map(rows.books);
  const orders = new Map<string, OrderRow>();
  const recorded = new Set(rows.recordedExecutions);
  const plan: BrokerEventPlan = { results: [], fills: [], flags: [], orders: [], books: [] };

  const orderOf = (clientOrderId: string): OrderRow => {
    let row = orders.get(clientOrderId);
    if (row === undefined) {
      const order = rows.orders.get(clientOrderId);
      if (order === undefined) throw new Error(`order ${clientOrderId} was not read under lock`);
      row = { order, brokerUpdatedAt: null, changed: false };
      orders.set(clientOrderId, row);
    }
    return row;
  };
  const bookOf = (teamId: string): TeamBook => {
    const book = books.get(teamId);
    if (book === undefined) throw new Error(`book of ${teamId} was not read under lock`);
    return book;
  };

  for (const event of events) {
    const clientOrderId = eventOrderId(event);
    const teamId = rows.teamOf.get(clientOrderId);
    if (teamId === undefined) {
      const reason = parseClientOrderId(clientOrderId) ? UNKNOWN_ID : FOREIGN_ID;
      if (event.kind === 'fill') {
        plan.flags.push({ kind: 'fill', fill: event.fill, reason });
        plan.results.push({ kind: 'fill', result: { executionId: event.fill.executionId, outcome: 'unattributed', teamId: null, closedTradePnl: null, reason } });
      } else {
        plan.flags.push({ kind: 'order', state: event.state, reason });
        plan.results.push({ kind: 'state', result: { clientOrderId, outcome: 'unattributed', teamId: null, status: null, released: 0, reason } });
      }
      continue;
    }
    const row = orderOf(clientOrderId);
    if (event.kind === 'state') {
      plan.results.push({ kind: 'state', result: recordState(event.state, teamId, row) });
    } else {
      plan.results.push({ kind: 'fill', result: recordFill(event.fill, teamId, row) });
    }
  }

  function recordState(state: BrokerOrderState, teamId: string, row: OrderRow): RecordedBrokerState {
    const { order } = row;
    const base = { clientOrderId: state.clientOrderId, teamId };
    const contradiction = describeStateContradiction(order.intent, state);
    if (contradiction) {
      const reason = `contradicts the recorded intent: ${contradiction}`;
      plan.flags.push({ kind: 'order', state, reason });
      return { ...base, outcome: 'flagged', status: order.status, released: 0, reason };
    }
    const advance = advanceOnBrokerState(progressOf(order), state);
    if (!advance) {
      if (order.brokerOrderId === null && state.brokerOrderId !== null) {
        row.order = { ...order, brokerOrderId: state.brokerOrderId };
        row.changed = true;
      }
      return { ...base, outcome: 'stale', status: order.status, released: 0, reason: null };
    }
    if (advance.release > 0) books.set(teamId, releaseReservation(bookOf(teamId), order.intent, advance.release));
    row.order = {
      ...order,
      status: advance.next.status,
      filledQuantity: advance.next.filledQuantity,
      reservedQuantity: advance.next.reservedQuantity,
      appliedQuantity: advance.next.appliedQuantity,
      brokerOrderId: state.brokerOrderId ?? order.brokerOrderId,
      filledAvgPrice: state.filledAvgPrice ?? order.filledAvgPrice,
      brokerReason: state.reason ?? order.brokerReason,
    };
    row.brokerUpdatedAt = state.updatedAt;
    row.changed = true;
    return { ...base, outcome: 'advanced', status: advance.next.status, released: advance.release, reason: null };
  }

  function recordFill(fill: Fill, teamId: string, row: OrderRow): AppliedFillResult {
    const { order } = row;
    const base = { executionId: fill.executionId, teamId, closedTradePnl: null };
    if (fill.symbol !== order.intent.symbol || fill.side !== order.intent.side) {
      const reason = `contradicts the recorded intent: fill is ${fill.side} ${fill.symbol}, order is ${order.intent.side} ${order.intent.symbol}`;
      plan.flags.push({ kind: 'fill', fill, reason });
      return { ...base, outcome: 'flagged', reason };
    }
    // Only the event that claims the execution id may touch the book.
    if (recorded.has(fill.executionId)) return { ...base, outcome: 'duplicate', reason: null };
    recorded.add(fill.executionId);
    const book = bookOf(teamId);
    const step = advanceOnFill(progressOf(order), fill.quantity);
    let applied: ReturnType<typeof applyFillToBook> | null = null;
    let problem: string | null = null;
    if (step.overfill) {
      problem = `overfill: ${fill.quantity} more shares would exceed the ordered ${order.intent.quantity} (${order.appliedQuantity} already applied)`;
    } else {
      try {
        applied = applyFillToBook(book, fill, order.intent, order.reservedQuantity);
      } catch (error) {
        if (!(error instanceof BookError)) throw error;
        problem = error.message;
      }
    }
    if (applied === null || step.overfill) {
      plan.fills.push({ fill, teamId, record: { applied: false, problem: problem ?? 'not applied' } });
      return { ...base, outcome: 'refused', reason: problem };
    }
    plan.fills.push({
      fill,
      teamId,
      record: { applied: true, realizedPnl: applied.closedTradePnl, cashAfter: applied.book.cash, positionAfter: applied.book.positions[fill.symbol]?.quantity ?? 0 },
    });
    row.order = {
      ...order,
      status: step.next.status,
      filledQuantity: step.next.filledQuantity,
      reservedQuantity: step.next.reservedQuantity,
      appliedQuantity: step.next.appliedQuantity,
      brokerOrderId: order.brokerOrderId ?? fill.brokerOrderId,
    };
    row.changed = true;
    books.set(teamId, applied.book);
    return { ...base, outcome: 'applied', closedTradePnl: applied.closedTradePnl, reason: null };
  }

  for (const [clientOrderId, row] of orders) {
    if (!row.changed) continue;
    const { order } = row;
    plan.orders.push({
      clientOrderId,
      update: {
        status: order.status,
        brokerOrderId: order.brokerOrderId,
        filledQuantity: order.filledQuantity,
        filledAvgPrice: order.filledAvgPrice,
        brokerReason: order.brokerReason,
        brokerUpdatedAt: row.brokerUpdatedAt,
        reservedQuantity: order.reservedQuantity,
        appliedQuantity: order.appliedQuantity,
      },
    });
  }
  for (const [teamId, before] of rows.books) {
    const after = books.get(teamId)!;
    if (after !== before) plan.books.push([before, after]);
  }
  return plan;
}

export function progressOf(order: StoredOrder): OrderProgress {
  return {
    quantity: order.intent.quantity,
    status: order.status,
    filledQuantity: order.filledQuantity,
    reservedQuantity: order.reservedQuantity,
    appliedQuantity: order.appliedQuantity,
  };
}

function describeStateContradiction(intent: OrderIntent, state: BrokerOrderState): string | null {
  const problems: string[] = [];
  if (state.symbol !== intent.symbol) problems.push(`symbol ${state.symbol} ≠ ${intent.symbol}`);
  if (state.side !== intent.side) problems.push(`side ${state.side} ≠ ${intent.side}`);
  if (state.quantity !== intent.quantity) problems.push(`quantity ${state.quantity} ≠ ${intent.quantity}`);
  return problems.length === 0 ? null : problems.join(', ');
}
