/** Broker events we refuse to attribute to a team: stored once each, for a human to look at. */
import type { BrokerOrderState, Fill } from '../../../server/trading/types.ts';
import { moneyToDecimalString } from '../../../server/trading/money.ts';
import { query, type Queryable } from './sql.ts';

export interface UnattributedEvent {
  id: number;
  kind: 'order' | 'fill';
  clientOrderId: string | null;
  brokerOrderId: string | null;
  executionId: string | null;
  reason: string;
  payload: Record<string, unknown>;
  receivedAt: number;
}

/** Stores the fill unless the same execution was stored before; true when this call stored it. */
export async function flagFill(db: Queryable, fill: Fill, reason: string): Promise<boolean> {
  const payload = { ...fill, price: moneyToDecimalString(fill.price) };
  return insertEvent(db, `fill:${fill.executionId}`, 'fill', fill.clientOrderId, fill.brokerOrderId, fill.executionId, reason, payload);
}

/** Stores the order state unless the same (id, status, filled quantity) was stored before. */
export async function flagOrderState(db: Queryable, state: BrokerOrderState, reason: string): Promise<boolean> {
  const payload = { ...state, filledAvgPrice: state.filledAvgPrice === null ? null : moneyToDecimalString(state.filledAvgPrice) };
  const key = `order:${state.clientOrderId}:${state.status}:${state.filledQuantity}`;
  return insertEvent(db, key, 'order', state.clientOrderId, state.brokerOrderId, null, reason, payload);
}

export async function listUnattributed(db: Queryable, limit: number): Promise<UnattributedEvent[]> {
  const rows = await query<{
    id: string;
    kind: 'order' | 'fill';
    client_order_id: string | null;
    broker_order_id: string | null;
    execution_id: string | null;
    reason: string;
    payload: Record<string, unknown>;
    received_at: Date;
  }>(
    db,
    `SELECT id, kind, client_order_id, broker_order_id, execution_id, reason, payload, received_at
     FROM unattributed_broker_events ORDER BY id DESC LIMIT $1`,
    [limit],
  );
  return rows.map((row) => ({
    id: Number(row.id),
    kind: row.kind,
    clientOrderId: row.client_order_id,
    brokerOrderId: row.broker_order_id,
    executionId: row.execution_id,
    reason: row.reason,
    payload: row.payload,
    receivedAt: row.received_at.getTime(),
  }));
}

async function insertEvent(
  db: Queryable,
  key: string,
  kind: 'order' | 'fill',
  clientOrderId: string,
  brokerOrderId: string | null,
  executionId: string | null,
  reason: string,
  payload: Record<string, unknown>,
): Promise<boolean> {
  const rows = await query(
    db,
    `INSERT INTO unattributed_broker_events (event_key, kind, client_order_id, broker_order_id, execution_id, reason, payload)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (event_key) DO NOTHING RETURNING id`,
    [key, kind, clientOrderId, brokerOrderId, executionId, reason, JSON.stringify(payload)],
  );
  return rows.length === 1;
}
