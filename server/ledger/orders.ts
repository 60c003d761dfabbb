/** Rows of `orders`: the durable intent plus the broker's latest word on it. */
import type pg from 'pg';
import type { Money } from '../trading/money.ts';
import type { OrderIntent, OrderStatus } from '../trading/types.ts';
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';
import { moneyColumn, nullableMoneyColumn, nullableMoneyParam, moneyParam, sharesColumn } from './sql.ts';
import { storableJson } from '../../data/postgres/storableJson.ts';

export interface StoredOrder {
  intent: OrderIntent;
  status: OrderStatus;
  brokerOrderId: string | null;
  /** Cumulative filled shares as the broker last reported them (or as applied fills show, whichever is more). */
  filledQuantity: number;
  filledAvgPrice: Money | null;
  brokerReason: string | null;
  /** Shares of the order whose cash (buy) or shares (sell) are still reserved in the book. */
  reservedQuantity: number;
  /** Shares of applied fills. */
  appliedQuantity: number;
  submitAttempts: number;
  /** Epoch ms before which the router does not retry the submission; null = now. */
  nextAttemptAt: number | null;
  lastSubmitError: string | null;
  createdAt: number;
  updatedAt: number;
}

interface OrderRow {
  client_order_id: string;
  team_id: string;
  minute: Date;
  seq: number;
  symbol: string;
  side: OrderIntent['side'];
  quantity: string;
  type: OrderIntent['type'];
  limit_price: string | null;
  reference_price: string;
  reason: string | null;
  status: OrderStatus;
  broker_order_id: string | null;
  filled_quantity: string;
  filled_avg_price: string | null;
  broker_reason: string | null;
  reserved_quantity: string;
  applied_quantity: string;
  submit_attempts: number;
  next_attempt_at: Date | null;
  last_submit_error: string | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `client_order_id, team_id, minute, seq, symbol, side, quantity, type, limit_price, reference_price, reason, status,
  broker_order_id, filled_quantity, filled_avg_price, broker_reason, reserved_quantity, applied_quantity, submit_attempts,
  next_attempt_at, last_submit_error, created_at, updated_at`;

export interface NewOrder {
  intent: OrderIntent;
  status: OrderStatus;
  reservedQuantity: number;
  brokerReason: string | null;
}

/**
 * Inserts new orders in one statement. The caller holds the teams' book locks and has checked the ids
 * are new, so a conflict here means a writer bypassed the locks: it fails the transaction rather than
 * leaving a reservation without its order.
 */
export async function insertOrders(client: pg.PoolClient, orders: readonly NewOrder[]): Promise<void> {
  if (orders.length === 0) return;
  const records = orders.map(({ intent, status, reservedQuantity, brokerReason }) => ({
    client_order_id: intent.clientOrderId,
    team_id: intent.teamId,
    minute: new Date(intent.minute).toISOString(),
    seq: intent.seq,
    symbol: intent.symbol,
    side: intent.side,
    quantity: intent.quantity,
    type: intent.type,
    limit_price: nullableMoneyParam(intent.limitPrice),
    reference_price: moneyParam(intent.referencePrice),
    reason: intent.reason,
    status,
    reserved_quantity: reservedQuantity,
    broker_reason: brokerReason,
  }));
  await query(
    client,
    `INSERT INTO orders (client_order_id, team_id, minute, seq, symbol, side, quantity, type, limit_price, reference_price, reason,
       status, reserved_quantity, broker_reason)
     SELECT client_order_id, team_id, minute, seq, symbol, side, quantity, type, limit_price, reference_price, reason,
       status, reserved_quantity, broker_reason
     FROM jsonb_to_recordset($1::jsonb) AS r(client_order_id text, team_id text, minute timestamptz, seq integer, symbol text, side text,
       quantity bigint, type text, limit_price numeric, reference_price numeric, reason text, status text, reserved_quantity bigint,
       broker_reason text)`,
    [storableJson(records)],
  );
}

/** One order, optionally locked (`FOR UPDATE`) for the rest of the transaction. */
export async function selectOrder(db: Queryable, clientOrderId: string, lock: boolean): Promise<StoredOrder | null> {
  const [row] = await query<OrderRow>(db, `SELECT ${COLUMNS} FROM orders WHERE client_order_id = $1${lock ? ' FOR UPDATE' : ''}`, [clientOrderId]);
  return row ? toStoredOrder(row) : null;
}

export async function selectOrders(db: Queryable, where: string, params: unknown[], suffix = ''): Promise<StoredOrder[]> {
  const rows = await query<OrderRow>(db, `SELECT ${COLUMNS} FROM orders WHERE ${where} ${suffix}`, params);
  return rows.map(toStoredOrder);
}

/** The team of each of these orders that exists, read without a lock (to know which books to lock first). */
export async function orderTeams(db: Queryable, clientOrderIds: readonly string[]): Promise<Map<string, string>> {
  if (clientOrderIds.length === 0) return new Map();
  const rows = await query<{ client_order_id: string; team_id: string }>(db, 'SELECT client_order_id, team_id FROM orders WHERE client_order_id = ANY($1)', [clientOrderIds]);
  return new Map(rows.map((row) => [row.client_order_id, row.team_id]));
}

export interface OrderUpdate {
  status: OrderStatus;
  brokerOrderId: string | null;
  filledQuantity: number;
  filledAvgPrice: Money | null;
  brokerReason: string | null;
  brokerUpdatedAt: number | null;
  reservedQuantity: number;
  appliedQuantity: number;
}

/**
 * Writes the broker-facing part of several orders in one statement. A null `brokerUpdatedAt` keeps the
 * stored one; leaving pending_submit clears the next submission attempt.
 */
export async function updateOrders(client: pg.PoolClient, updates: ReadonlyArray<{ clientOrderId: string; update: OrderUpdate }>): Promise<void> {
  if (updates.length === 0) return;
  const records = updates.map(({ clientOrderId, update }) => ({
    client_order_id: clientOrderId,
    status: update.status,
    broker_order_id: update.brokerOrderId,
    filled_quantity: update.filledQuantity,
    filled_avg_price: nullableMoneyParam(update.filledAvgPrice),
    broker_reason: update.brokerReason,
    broker_updated_at: update.brokerUpdatedAt === null ? null : new Date(update.brokerUpdatedAt).toISOString(),
    reserved_quantity: update.reservedQuantity,
    applied_quantity: update.appliedQuantity,
  }));
  await query(
    client,
    `UPDATE orders AS o SET status = r.status, broker_order_id = r.broker_order_id, filled_quantity = r.filled_quantity,
       filled_avg_price = r.filled_avg_price, broker_reason = r.broker_reason, broker_updated_at = COALESCE(r.broker_updated_at, o.broker_updated_at),
       reserved_quantity = r.reserved_quantity, applied_quantity = r.applied_quantity,
       next_attempt_at = CASE WHEN r.status = 'pending_submit' THEN o.next_attempt_at ELSE NULL END, updated_at = now()
     FROM jsonb_to_recordset($1::jsonb) AS r(client_order_id text, status text, broker_order_id text, filled_quantity bigint,
       filled_avg_price numeric, broker_reason text, broker_updated_at timestamptz, reserved_quantity bigint, applied_quantity bigint)
     WHERE o.client_order_id = r.client_order_id`,
    [storableJson(records)],
  );
}

function toStoredOrder(row: OrderRow): StoredOrder {
  return {
    intent: {
      clientOrderId: row.client_order_id,
      teamId: row.team_id,
      minute: row.minute.getTime(),
      seq: row.seq,
      symbol: row.symbol,
      side: row.side,
      quantity: sharesColumn(row.quantity),
      type: row.type,
      limitPrice: nullableMoneyColumn(row.limit_price),
      referencePrice: moneyColumn(row.reference_price),
      reason: row.reason,
    },
    status: row.status,
    brokerOrderId: row.broker_order_id,
    filledQuantity: sharesColumn(row.filled_quantity),
    filledAvgPrice: nullableMoneyColumn(row.filled_avg_price),
    brokerReason: row.broker_reason,
    reservedQuantity: sharesColumn(row.reserved_quantity),
    appliedQuantity: sharesColumn(row.applied_quantity),
    submitAttempts: row.submit_attempts,
    nextAttemptAt: row.next_attempt_at?.getTime() ?? null,
    lastSubmitError: row.last_submit_error,
    createdAt: row.created_at.getTime(),
    updatedAt: row.updated_at.getTime(),
  };
}
