/**
 * The trading ledger on Postgres: the system of record for order intents, broker answers, fills and
 * the teams' books. Every operation is one transaction that first locks the team's book row, so
 * concurrent writers (the minute job, the fill stream, a second worker) are serialised per team, and
 * the accounting itself is the pure `server/trading/portfolio` code.
 *
 * Guarantees: an intent is durable (and its cash or shares reserved) before anyone submits it; recording
 * the same intents again changes nothing; a fill is applied once per execution id; a reservation is
 * released exactly once; a broker event whose client order id is not ours is flagged, never attributed.
 */
import { parseClientOrderId } from '../../../server/trading/clientOrderId.ts';
import type { Money } from '../../../server/trading/money.ts';
import { applyFill as applyFillToBook, BookError, releaseReservation, reserveForIntent } from '../../../server/trading/portfolio/book.ts';
import { advanceOnBrokerState, advanceOnFill, type OrderProgress } from '../../../server/trading/portfolio/orderLifecycle.ts';
import type { BrokerOrderState, Fill, OrderIntent, OrderStatus, TeamBook } from '../../../server/trading/types.ts';
import type { PgPool } from '../pool.ts';
import { auditBooks, type BookAuditFinding } from './audit.ts';
import { lockBook, lockBooks, readBooks, writeBook, writeBooks } from './books.ts';
import { insertFill, selectFills, type FillRecord, type StoredFill } from './fills.ts';
import { loadTeamMemory, saveTeamMemory, type TeamMemory } from './memory.ts';
import { insertOrders, orderTeam, selectOrder, selectOrders, updateOrder, type NewOrder, type StoredOrder } from './orders.ts';
import {
  insertReconciliationReport,
  selectLatestReconciliationReport,
  type ReconciliationReport,
  type StoredReconciliationReport,
} from './reconciliationReports.ts';
import { insertSnapshots, selectSnapshots, snapshotOf, type EquitySnapshot } from './snapshots.ts';
import { moneyParam, query, withTransaction } from './sql.ts';
import { flagFill, flagOrderState, listUnattributed, type UnattributedEvent } from './unattributed.ts';

export type LedgerErrorKind = 'unknown_team' | 'no_book' | 'invalid_intent';

/** A caller mistake (not a broker event): the team has no book, or an intent is malformed. */
export class LedgerError extends Error {
  override name = 'LedgerError';
  readonly kind: LedgerErrorKind;
  constructor(kind: LedgerErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.kind = kind;
  }
}

export interface RecordedIntent {
  clientOrderId: string;
  /**
   * recorded: stored as pending_submit with its reservation; already_recorded: stored before, unchanged
   * (a retried tick); refused: stored as rejected because the book could not reserve it (reason says why);
   * conflict: the id was stored before with different terms — nothing changed, the stored order stands.
   */
  outcome: 'recorded' | 'already_recorded' | 'refused' | 'conflict';
  reason: string | null;
}

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

export interface PendingSubmission {
  intent: OrderIntent;
  submitAttempts: number;
}

export interface Ledger {
  /** Creates the team's book with `startingCash` unless it exists; returns the current book. */
  ensureTeamBook(teamId: string, startingCash: Money): Promise<TeamBook>;
  /** The same for many teams in two statements (server start); returns the books sorted by team id. */
  ensureTeamBooks(teamIds: readonly string[], startingCash: Money): Promise<TeamBook[]>;
  /** Persists intents as pending_submit and reserves their cash/shares, in one transaction; idempotent by client order id. */
  recordIntents(intents: readonly OrderIntent[]): Promise<RecordedIntent[]>;
  /** Applies a broker's order state: forward-only; a terminal state releases the unfilled reservation once. */
  recordBrokerState(state: BrokerOrderState): Promise<RecordedBrokerState>;
  /** Applies one execution exactly once. */
  applyFill(fill: Fill): Promise<AppliedFillResult>;
  /** A failed submission to retry later: counts the attempt and sets when the next one may happen. */
  recordSubmitFailure(clientOrderId: string, message: string, nextAttemptAt: number): Promise<void>;
  /** Intents not yet acknowledged by the broker whose next attempt is due at `now`, oldest first. */
  pendingSubmissions(now?: number, limit?: number): Promise<PendingSubmission[]>;
  /** Marks every team to market at the minute's (last known) prices; a (team, minute) is stored once. Returns the minute's snapshots. */
  snapshotEquity(minute: number, prices: Readonly<Record<string, Money>>): Promise<EquitySnapshot[]>;
  loadBook(teamId: string): Promise<TeamBook | null>;
  loadBooks(): Promise<TeamBook[]>;
  getOrder(clientOrderId: string): Promise<StoredOrder | null>;
  listOrders(teamId: string): Promise<StoredOrder[]>;
  /** Orders the broker may still act on (pending_submit, accepted, partially_filled). */
  openOrders(): Promise<StoredOrder[]>;
  listFills(teamId: string): Promise<StoredFill[]>;
  listSnapshots(teamId: string, fromMinute?: number, toMinute?: number): Promise<EquitySnapshot[]>;
  listUnattributed(limit?: number): Promise<UnattributedEvent[]>;
  saveTeamMemory(teamId: string, memory: TeamMemory): Promise<void>;
  loadTeamMemory(teamId: string): Promise<TeamMemory | null>;
  recordReconciliation(report: ReconciliationReport): Promise<number>;
  latestReconciliation(): Promise<StoredReconciliationReport | null>;
  /** Recomputes every book from fills and orders (one consistent snapshot); empty when all agree. */
  auditBooks(): Promise<BookAuditFinding[]>;
}

const FOREIGN_ID = 'client order id was not issued by this server';
const UNKNOWN_ID = 'client order id has our format but no intent was recorded for it';

export function createLedger(pool: PgPool): Ledger {
  async function lockExistingBook(client: Parameters<typeof lockBook>[0], teamId: string): Promise<TeamBook> {
    const book = await lockBook(client, teamId);
    if (!book) throw new LedgerError('no_book', `team ${teamId} has no book: call ensureTeamBook before recording its orders`);
    return book;
  }

  async function ensureTeamBooks(teamIds: readonly string[], startingCash: Money): Promise<TeamBook[]> {
    if (!Number.isSafeInteger(startingCash) || startingCash < 0) {
      throw new RangeError(`starting cash must be a non-negative exact amount (1/10,000 $), got ${startingCash}`);
    }
    const known = new Set((await query<{ id: string }>(pool, 'SELECT id FROM teams WHERE id = ANY($1)', [teamIds])).map((row) => row.id));
    const unknown = teamIds.filter((teamId) => !known.has(teamId));
    if (unknown.length > 0) {
      throw new LedgerError('unknown_team', `team ${unknown.join(', ')} is not in the teams table: sync the team registry before creating books`);
    }
    await query(
      pool,
      `INSERT INTO team_books (team_id, starting_cash, cash) SELECT team_id, $2, $2 FROM unnest($1::text[]) AS team_id
       ON CONFLICT (team_id) DO NOTHING`,
      [teamIds, moneyParam(startingCash)],
    );
    return withTransaction(pool, (client) => readBooks(client, teamIds), true);
  }

  return {
    async ensureTeamBook(teamId, startingCash) {
      const [book] = await ensureTeamBooks([teamId], startingCash);
      if (!book) throw new LedgerError('no_book', `team ${teamId}: no book after creating it`);
      return book;
    },

    ensureTeamBooks,

    async recordIntents(intents) {
      for (const intent of intents) assertOurIntent(intent);
      const teamIds = [...new Set(intents.map((intent) => intent.teamId))].sort();
      return withTransaction(pool, async (client) => {
        // Every writer of these teams' orders holds their book locks, so the ids seen now stay the truth.
        const before = await lockBooks(client, teamIds);
        const missing = teamIds.find((teamId) => !before.has(teamId));
        if (missing !== undefined) throw new LedgerError('no_book', `team ${missing} has no book: call ensureTeamBook before recording its orders`);
        const ids = intents.map((intent) => intent.clientOrderId);
        const stored = new Map((await selectOrders(client, 'client_order_id = ANY($1)', [ids])).map((order) => [order.intent.clientOrderId, order.intent]));
        const after = new Map(before);
        const fresh: NewOrder[] = [];
        const results: RecordedIntent[] = [];
        for (const intent of intents) {
          const existing = stored.get(intent.clientOrderId);
          if (existing) {
            const difference = describeIntentDifference(existing, intent);
            results.push({ clientOrderId: intent.clientOrderId, outcome: difference ? 'conflict' : 'already_recorded', reason: difference });
            continue;
          }
          stored.set(intent.clientOrderId, intent);
          try {
            after.set(intent.teamId, reserveForIntent(after.get(intent.teamId)!, intent));
            fresh.push({ intent, status: 'pending_submit', reservedQuantity: intent.quantity, brokerReason: null });
            results.push({ clientOrderId: intent.clientOrderId, outcome: 'recorded', reason: null });
          } catch (error) {
            if (!(error instanceof BookError)) throw error;
            const reason = `not reserved: ${error.message}`;
            fresh.push({ intent, status: 'rejected', reservedQuantity: 0, brokerReason: reason });
            results.push({ clientOrderId: intent.clientOrderId, outcome: 'refused', reason });
          }
        }
        await insertOrders(client, fresh);
        await writeBooks(
          client,
          teamIds.map((teamId) => [before.get(teamId)!, after.get(teamId)!] as const),
        );
        return results;
      });
    },

    async recordBrokerState(state) {
      const teamId = await orderTeam(pool, state.clientOrderId);
      if (teamId === null) {
        const reason = parseClientOrderId(state.clientOrderId) ? UNKNOWN_ID : FOREIGN_ID;
        await flagOrderState(pool, state, reason);
        return { clientOrderId: state.clientOrderId, outcome: 'unattributed', teamId: null, status: null, released: 0, reason };
      }
      return withTransaction(pool, async (client): Promise<RecordedBrokerState> => {
        const book = await lockExistingBook(client, teamId);
        const order = (await selectOrder(client, state.clientOrderId, true))!;
        const base = { clientOrderId: state.clientOrderId, teamId };
        const contradiction = describeStateContradiction(order.intent, state);
        if (contradiction) {
          const reason = `contradicts the recorded intent: ${contradiction}`;
          await flagOrderState(client, state, reason);
          return { ...base, outcome: 'flagged', status: order.status, released: 0, reason };
        }
        const advance = advanceOnBrokerState(progressOf(order), state);
        if (!advance) {
          if (order.brokerOrderId === null && state.brokerOrderId !== null) {
            await query(client, 'UPDATE orders SET broker_order_id = $2, updated_at = now() WHERE client_order_id = $1', [
              state.clientOrderId,
              state.brokerOrderId,
            ]);
          }
          return { ...base, outcome: 'stale', status: order.status, released: 0, reason: null };
        }
        const next = advance.release > 0 ? releaseReservation(book, order.intent, advance.release) : book;
        await updateOrder(client, state.clientOrderId, {
          status: advance.next.status,
          brokerOrderId: state.brokerOrderId ?? order.brokerOrderId,
          filledQuantity: advance.next.filledQuantity,
          filledAvgPrice: state.filledAvgPrice ?? order.filledAvgPrice,
          brokerReason: state.reason ?? order.brokerReason,
          brokerUpdatedAt: state.updatedAt,
          reservedQuantity: advance.next.reservedQuantity,
          appliedQuantity: advance.next.appliedQuantity,
        });
        await writeBook(client, book, next);
        return { ...base, outcome: 'advanced', status: advance.next.status, released: advance.release, reason: null };
      });
    },

    async applyFill(fill) {
      const teamId = await orderTeam(pool, fill.clientOrderId);
      const base = { executionId: fill.executionId, teamId, closedTradePnl: null };
      if (teamId === null) {
        const reason = parseClientOrderId(fill.clientOrderId) ? UNKNOWN_ID : FOREIGN_ID;
        await flagFill(pool, fill, reason);
        return { ...base, outcome: 'unattributed', reason };
      }
      return withTransaction(pool, async (client): Promise<AppliedFillResult> => {
        const book = await lockExistingBook(client, teamId);
        const order = (await selectOrder(client, fill.clientOrderId, true))!;
        if (fill.symbol !== order.intent.symbol || fill.side !== order.intent.side) {
          const reason = `contradicts the recorded intent: fill is ${fill.side} ${fill.symbol}, order is ${order.intent.side} ${order.intent.symbol}`;
          await flagFill(client, fill, reason);
          return { ...base, outcome: 'flagged', reason };
        }
        // Decide first, then claim the execution id: only the call that inserts it may touch the book.
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
        const record: FillRecord =
          applied === null
            ? { applied: false, problem: problem ?? 'not applied' }
            : {
                applied: true,
                realizedPnl: applied.closedTradePnl,
                cashAfter: applied.book.cash,
                positionAfter: applied.book.positions[fill.symbol]?.quantity ?? 0,
              };
        if (!(await insertFill(client, fill, teamId, record))) return { ...base, outcome: 'duplicate', reason: null };
        if (applied === null || step.overfill) return { ...base, outcome: 'refused', reason: problem };
        await updateOrder(client, fill.clientOrderId, {
          status: step.next.status,
          brokerOrderId: order.brokerOrderId ?? fill.brokerOrderId,
          filledQuantity: step.next.filledQuantity,
          filledAvgPrice: order.filledAvgPrice,
          brokerReason: order.brokerReason,
          brokerUpdatedAt: null,
          reservedQuantity: step.next.reservedQuantity,
          appliedQuantity: step.next.appliedQuantity,
        });
        await writeBook(client, book, applied.book);
        return { ...base, outcome: 'applied', closedTradePnl: applied.closedTradePnl, reason: null };
      });
    },

    async recordSubmitFailure(clientOrderId, message, nextAttemptAt) {
      await query(
        pool,
        `UPDATE orders SET submit_attempts = submit_attempts + 1, last_submit_error = $2, next_attempt_at = $3, updated_at = now()
         WHERE client_order_id = $1 AND status = 'pending_submit'`,
        [clientOrderId, message, new Date(nextAttemptAt)],
      );
    },

    async pendingSubmissions(now = Date.now(), limit = 1_000) {
      const orders = await selectOrders(
        pool,
        `status = 'pending_submit' AND (next_attempt_at IS NULL OR next_attempt_at <= $1)`,
        [new Date(now), limit],
        'ORDER BY minute, team_id, seq LIMIT $2',
      );
      return orders.map((order) => ({ intent: order.intent, submitAttempts: order.submitAttempts }));
    },

    async snapshotEquity(minute, prices) {
      return withTransaction(pool, async (client) => {
        // FOR SHARE waits for in-flight writers and holds them off: every book is read at one instant.
        const locked = await query<{ team_id: string }>(client, 'SELECT team_id FROM team_books ORDER BY team_id FOR SHARE');
        const books = await readBooks(
          client,
          locked.map((row) => row.team_id),
        );
        await insertSnapshots(
          client,
          books.map((book) => snapshotOf(book, minute, prices)),
        );
        return selectSnapshots(client, 'minute = $1', [new Date(minute)]);
      });
    },

    async loadBook(teamId) {
      const [book] = await withTransaction(pool, (client) => readBooks(client, [teamId]), true);
      return book ?? null;
    },

    async loadBooks() {
      return withTransaction(pool, (client) => readBooks(client, null), true);
    },

    getOrder: (clientOrderId) => selectOrder(pool, clientOrderId, false),
    listOrders: (teamId) => selectOrders(pool, 'team_id = $1', [teamId], 'ORDER BY minute, seq'),
    openOrders: () => selectOrders(pool, `status IN ('pending_submit', 'accepted', 'partially_filled')`, [], 'ORDER BY minute, team_id, seq'),
    listFills: (teamId) => selectFills(pool, 'team_id = $1', [teamId]),
    listSnapshots: (teamId, fromMinute, toMinute) =>
      selectSnapshots(pool, 'team_id = $1 AND minute >= $2 AND minute <= $3', [
        teamId,
        new Date(fromMinute ?? 0),
        new Date(toMinute ?? 8_640_000_000_000_000),
      ]),
    listUnattributed: (limit = 100) => listUnattributed(pool, limit),
    saveTeamMemory: (teamId, memory) => saveTeamMemory(pool, teamId, memory),
    loadTeamMemory: (teamId) => loadTeamMemory(pool, teamId),
    recordReconciliation: (report) => insertReconciliationReport(pool, report),
    latestReconciliation: () => selectLatestReconciliationReport(pool),
    auditBooks: () => withTransaction(pool, (client) => auditBooks(client), true),
  };
}

function progressOf(order: StoredOrder): OrderProgress {
  return {
    quantity: order.intent.quantity,
    status: order.status,
    filledQuantity: order.filledQuantity,
    reservedQuantity: order.reservedQuantity,
    appliedQuantity: order.appliedQuantity,
  };
}

/** Only intents carrying one of our ids, consistent with their team, minute and sequence, enter the ledger. */
function assertOurIntent(intent: OrderIntent): void {
  const parsed = parseClientOrderId(intent.clientOrderId);
  if (!parsed || parsed.teamId !== intent.teamId || parsed.minute !== intent.minute || parsed.seq !== intent.seq) {
    throw new LedgerError(
      'invalid_intent',
      `intent ${intent.clientOrderId} does not carry the client order id of team ${intent.teamId}, minute ${new Date(intent.minute).toISOString()}, sequence ${intent.seq}`,
    );
  }
}

function describeIntentDifference(stored: OrderIntent, incoming: OrderIntent): string | null {
  const keys = ['teamId', 'minute', 'seq', 'symbol', 'side', 'quantity', 'type', 'limitPrice', 'referencePrice'] as const;
  const differing = keys.filter((key) => stored[key] !== incoming[key]);
  if (differing.length === 0) return null;
  return `recorded before with different ${differing.map((key) => `${key} (${String(stored[key])} ≠ ${String(incoming[key])})`).join(', ')}`;
}

function describeStateContradiction(intent: OrderIntent, state: BrokerOrderState): string | null {
  const problems: string[] = [];
  if (state.symbol !== intent.symbol) problems.push(`symbol ${state.symbol} ≠ ${intent.symbol}`);
  if (state.side !== intent.side) problems.push(`side ${state.side} ≠ ${intent.side}`);
  if (state.quantity !== intent.quantity) problems.push(`quantity ${state.quantity} ≠ ${intent.quantity}`);
  return problems.length === 0 ? null : problems.join(', ');
}
