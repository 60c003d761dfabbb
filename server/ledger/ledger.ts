/**
 * The trading ledger on Postgres: the system of record for order intents, broker answers, fills and
 * the teams' books. Every operation is one transaction that first locks the book rows of the teams it
 * touches (in team-id order), so concurrent writers (the minute job, the fill stream, a second worker)
 * are serialised per team without deadlocks, and the accounting itself is the pure
 * `server/trading/portfolio` code. Broker events come in batches (`applyFills`, `recordBrokerStates`: one
 * transaction for any number); the single-event calls are batches of one, so there is one code path.
 *
 * Guarantees: an intent is durable (and its cash or shares reserved) before anyone submits it; recording
 * the same intents again changes nothing; a fill is applied once per execution id; a reservation is
 * released exactly once; a broker event whose client order id is not ours is flagged, never attributed.
 */
import { parseClientOrderId } from '../trading/clientOrderId.ts';
import type { Money } from '../trading/money.ts';
import { BookError, reserveForIntent } from '../trading/portfolio/book.ts';
import type { BrokerOrderState, Fill, OrderIntent, TeamBook } from '../trading/types.ts';
import type pg from 'pg';
import type { PgPool } from '../../data/postgres/pool.ts';
import { auditBooks, type BookAuditFinding } from './audit.ts';
import { lockBooks, readBooks, shareLockAllBooks, writeBooks } from './books.ts';
import { applyBrokerEvents } from './brokerEvents.ts';
import { LedgerError } from './errors.ts';
import type { AppliedFillResult, RecordedBrokerState } from './eventPlan.ts';
import { selectFills, type StoredFill } from './fills.ts';
import { loadTeamMemory, saveTeamMemory, type TeamMemory } from './memory.ts';
import { insertOrders, selectOrder, selectOrders, type NewOrder, type StoredOrder } from './orders.ts';
import { insertReconciliationReport, selectLatestReconciliationReport, type ReconciliationReport, type StoredReconciliationReport } from './reconciliationReports.ts';
import { insertSnapshots, selectSnapshots, snapshotOf, type EquitySnapshot } from './snapshots.ts';
import { query } from '../../data/postgres/query.ts';
import { inTransaction } from '../../data/postgres/transaction.ts';
import { moneyParam } from './sql.ts';
import { listUnattributed, type UnattributedEvent } from './unattributed.ts';

export { LedgerError, type LedgerErrorKind } from './errors.ts';
export type { AppliedFillResult, RecordedBrokerState } from './eventPlan.ts';

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

export interface PendingSubmission {
  intent: OrderIntent;
  submitAttempts: number;
}

export interface Ledger {
  /** Creates the team's book with `startingCash` unless it exists; returns the current book. */
  ensureTeamBook(teamId: string, startingCash: Money): Promise<TeamBook>;
  /** The same for many teams in two statements (server start); returns the books sorted by team id. */
  ensureTeamBooks(teamIds: readonly string[], startingCash: Money): Promise<TeamBook[]>;
  /**
   * Opens a book with `startingCash` for each team that has none, reading nothing back: every minute's
   * prepare stage asks this of every due team, and nearly always each has one (one index probe each).
   */
  openMissingBooks(teamIds: readonly string[], startingCash: Money): Promise<void>;
  /** Persists intents as pending_submit and reserves their cash/shares, in one transaction; idempotent by client order id. */
  recordIntents(intents: readonly OrderIntent[]): Promise<RecordedIntent[]>;
  /** The same inside the caller's transaction (the tick stores a minute's runs and their orders in one). */
  recordIntentsIn(client: pg.PoolClient, intents: readonly OrderIntent[]): Promise<RecordedIntent[]>;
  /** Applies a broker's order state: forward-only; a terminal state releases the unfilled reservation once. */
  recordBrokerState(state: BrokerOrderState): Promise<RecordedBrokerState>;
  /**
   * The same for many states in one transaction (each team's book locked once): the results, in the
   * states' order, are what recording them one after the other would give.
   */
  recordBrokerStates(states: readonly BrokerOrderState[]): Promise<RecordedBrokerState[]>;
  /** Applies one execution exactly once. */
  applyFill(fill: Fill): Promise<AppliedFillResult>;
  /**
   * Applies many executions in one transaction, each exactly once (a repeated execution id, in the batch
   * or before it, is a duplicate): the results, in the fills' order, are what applying them one after the
   * other would give.
   */
  applyFills(fills: readonly Fill[]): Promise<AppliedFillResult[]>;
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

export function createLedger(pool: PgPool): Ledger {
  async function recordBrokerStates(states: readonly BrokerOrderState[]): Promise<RecordedBrokerState[]> {
    const results = await applyBrokerEvents(
      pool,
      states.map((state) => ({ kind: 'state', state })),
    );
    return results.map((entry) => {
      if (entry.kind !== 'state') throw new Error('a broker state produced a fill result');
      return entry.result;
    });
  }

  async function applyFills(fills: readonly Fill[]): Promise<AppliedFillResult[]> {
    const results = await applyBrokerEvents(
      pool,
      fills.map((fill) => ({ kind: 'fill', fill })),
    );
    return results.map((entry) => {
      if (entry.kind !== 'fill') throw new Error('a fill produced a broker state result');
      return entry.result;
    });
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
    return inTransaction(pool, (client) => readBooks(client, teamIds), true);
  }

  /** `recordIntents` inside the caller's transaction: the tick stores a minute's runs and their orders together. */
  async function recordIntentsIn(client: pg.PoolClient, intents: readonly OrderIntent[]): Promise<RecordedIntent[]> {
    for (const intent of intents) assertOurIntent(intent);
    const teamIds = [...new Set(intents.map((intent) => intent.teamId))].sort();
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
  }

  return {
    async ensureTeamBook(teamId, startingCash) {
      const [book] = await ensureTeamBooks([teamId], startingCash);
      if (!book) throw new LedgerError('no_book', `team ${teamId}: no book after creating it`);
      return book;
    },

    ensureTeamBooks,

    async openMissingBooks(teamIds, startingCash) {
      if (teamIds.length === 0) return;
      const missing = await query<{ team_id: string }>(
        pool,
        'SELECT t.team_id FROM unnest($1::text[]) AS t(team_id) WHERE NOT EXISTS (SELECT 1 FROM team_books b WHERE b.team_id = t.team_id)',
        [teamIds],
      );
      // Opened as ensureTeamBooks does, with its check that every team is known.
      if (missing.length > 0)
        await ensureTeamBooks(
          missing.map((row) => row.team_id),
          startingCash,
        );
    },

    async recordIntents(intents) {
      return inTransaction(pool, async (client) => recordIntentsIn(client, intents));
    },

    recordIntentsIn,

    async recordBrokerState(state) {
      const [result] = await recordBrokerStates([state]);
      return result!;
    },

    recordBrokerStates,

    async applyFill(fill) {
      const [result] = await applyFills([fill]);
      return result!;
    },

    applyFills,

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
      return inTransaction(pool, async (client) => {
        // FOR SHARE waits for in-flight writers and holds them off: every book is read at one instant.
        const books = await shareLockAllBooks(client);
        const computed = books.map((book) => snapshotOf(book, minute, prices));
        const stored = await insertSnapshots(client, computed);
        // A retried minute keeps its first snapshots: read back those this call did not store. Filtered here,
        // not with NOT (team_id = ANY(stored)) in SQL, which compares every row with every stored team.
        const earlier =
          stored.size === computed.length ? [] : (await selectSnapshots(client, 'minute = $1', [new Date(minute)])).filter((snapshot) => !stored.has(snapshot.teamId));
        return [...computed.filter((snapshot) => stored.has(snapshot.teamId)), ...earlier].sort((a, b) => (a.teamId < b.teamId ? -1 : a.teamId > b.teamId ? 1 : 0));
      });
    },

    async loadBook(teamId) {
      const [book] = await inTransaction(pool, (client) => readBooks(client, [teamId]), true);
      return book ?? null;
    },

    async loadBooks() {
      return inTransaction(pool, (client) => readBooks(client, null), true);
    },

    getOrder: (clientOrderId) => selectOrder(pool, clientOrderId, false),
    listOrders: (teamId) => selectOrders(pool, 'team_id = $1', [teamId], 'ORDER BY minute, seq'),
    openOrders: () => selectOrders(pool, `status IN ('pending_submit', 'accepted', 'partially_filled')`, [], 'ORDER BY minute, team_id, seq'),
    listFills: (teamId) => selectFills(pool, 'team_id = $1', [teamId]),
    listSnapshots: (teamId, fromMinute, toMinute) =>
      selectSnapshots(pool, 'team_id = $1 AND minute >= $2 AND minute <= $3', [teamId, new Date(fromMinute ?? 0), new Date(toMinute ?? 8_640_000_000_000_000)]),
    listUnattributed: (limit = 100) => listUnattributed(pool, limit),
    saveTeamMemory: (teamId, memory) => saveTeamMemory(pool, teamId, memory),
    loadTeamMemory: (teamId) => loadTeamMemory(pool, teamId),
    recordReconciliation: (report) => insertReconciliationReport(pool, report),
    latestReconciliation: () => selectLatestReconciliationReport(pool),
    auditBooks: () => inTransaction(pool, (client) => auditBooks(client), true),
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
