/** Broker events we refuse to attribute to a team: stored once each, for a human to look at. */
import type { BrokerOrderState, Fill } from '../trading/types.ts';
import { moneyToDecimalString } from '../trading/money.ts';
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';

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

/** A broker event held back for review, and why. */
export type FlaggedBrokerEvent = { kind: 'fill'; fill: Fill; reason: string } | { kind: 'order'; state: BrokerOrderState; reason: string };

/**
 * Stores the events in one statement, each unless stored before: a fill once per execution id, an order
 * state once per (client order id, status, filled quantity).
 */
export async function flagEvents(db: Queryable, events: readonly FlaggedBrokerEvent[]): Promise<void> {
  const records = new Map<string, Record<string, unknown>>();
  for (const event of events) {
    const record =
      event.kind === 'fill'
        ? {
            event_key: `fill:${event.fill.executionId}`,
            kind: 'fill',
            client_order_id: event.fill.clientOrderId,
            broker_order_id: event.fill.brokerOrderId,
            execution_id: event.fill.executionId,
            reason: event.reason,
            payload: { ...event.fill, price: moneyToDecimalString(event.fill.price) },
          }
        : {
            event_key: `order:${event.state.clientOrderId}:${event.state.status}:${event.state.filledQuantity}`,
            kind: 'order',
            client_order_id: event.state.clientOrderId,
            broker_order_id: event.state.brokerOrderId,
            execution_id: null,
            reason: event.reason,
            payload: { ...event.state, filledAvgPrice: event.state.filledAvgPrice === null ? null : moneyToDecimalString(event.state.filledAvgPrice) },
          };
    if (!records.has(record.event_key)) records.set(record.event_key, { ...record, n: records.size });
  }
  if (records.size === 0) return;
  await query(
    db,
    `INSERT INTO unattributed_broker_events (event_key, kind, client_order_id, broker_order_id, execution_id, reason, payload)
     SELECT event_key, kind, client_order_id, broker_order_id, execution_id, reason, payload
     FROM jsonb_to_recordset($1::jsonb) AS r(n integer, event_key text, kind text, client_order_id text, broker_order_id text,
       execution_id text, reason text, payload jsonb)
     ORDER BY n
     ON CONFLICT (event_key) DO NOTHING`,
    [JSON.stringify([...records.values()])],
  );
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
