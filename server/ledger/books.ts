/**
 * Team books in Postgres: rows of `team_books` and `team_positions` to and from the pure `TeamBook`.
 * Writers lock the teams' `team_books` rows first (`lockBooks`, in team-id order), which serialises every
 * change to one team's cash and positions across processes.
 */
import type pg from 'pg';
import type { PositionBook, TeamBook } from '../trading/types.ts';
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';
import { moneyColumn, moneyParam, sharesColumn } from './sql.ts';

interface BookRow {
  team_id: string;
  cash: string;
  reserved_cash: string;
  realized_pnl: string;
}

interface PositionRow {
  team_id: string;
  symbol: string;
  quantity: string;
  pending_sell: string;
  cost_basis: string;
  realized_pnl: string;
}

/**
 * Locks several books in team-id order (so two transactions locking overlapping sets cannot deadlock)
 * and reads them; teams without a book are absent from the map.
 */
export async function lockBooks(client: pg.PoolClient, teamIds: readonly string[]): Promise<Map<string, TeamBook>> {
  const rows = await query<BookRow>(client, 'SELECT team_id, cash, reserved_cash, realized_pnl FROM team_books WHERE team_id = ANY($1) ORDER BY team_id FOR UPDATE', [teamIds]);
  const positions = await query<PositionRow>(client, 'SELECT team_id, symbol, quantity, pending_sell, cost_basis, realized_pnl FROM team_positions WHERE team_id = ANY($1)', [
    rows.map((row) => row.team_id),
  ]);
  const byTeam = groupPositions(positions);
  return new Map(rows.map((row) => [row.team_id, toBook(row, byTeam.get(row.team_id) ?? [])]));
}

/**
 * Every book, share-locked as it is read: in-flight writers are waited for and later ones held off until
 * the caller's transaction ends, so the positions read next belong to the same instant. One statement
 * locks and reads the books (no list of ids to send and match).
 */
export async function shareLockAllBooks(client: pg.PoolClient): Promise<TeamBook[]> {
  const rows = await query<BookRow>(client, 'SELECT team_id, cash, reserved_cash, realized_pnl FROM team_books ORDER BY team_id FOR SHARE');
  const positions = await query<PositionRow>(client, 'SELECT team_id, symbol, quantity, pending_sell, cost_basis, realized_pnl FROM team_positions ORDER BY team_id, symbol');
  const byTeam = groupPositions(positions);
  return rows.map((row) => toBook(row, byTeam.get(row.team_id) ?? []));
}

/** Reads books without locking; call inside a REPEATABLE READ transaction for a consistent picture. */
export async function readBooks(db: Queryable, teamIds: readonly string[] | null): Promise<TeamBook[]> {
  const filter = teamIds === null ? '' : 'WHERE team_id = ANY($1)';
  const params = teamIds === null ? [] : [teamIds];
  const rows = await query<BookRow>(db, `SELECT team_id, cash, reserved_cash, realized_pnl FROM team_books ${filter} ORDER BY team_id`, params);
  const positions = await query<PositionRow>(
    db,
    `SELECT team_id, symbol, quantity, pending_sell, cost_basis, realized_pnl FROM team_positions ${filter} ORDER BY team_id, symbol`,
    params,
  );
  const byTeam = groupPositions(positions);
  return rows.map((row) => toBook(row, byTeam.get(row.team_id) ?? []));
}

function groupPositions(positions: readonly PositionRow[]): Map<string, PositionRow[]> {
  const byTeam = new Map<string, PositionRow[]>();
  for (const position of positions) {
    const list = byTeam.get(position.team_id) ?? [];
    list.push(position);
    byTeam.set(position.team_id, list);
  }
  return byTeam;
}

/** Writes what changed in several books, in two statements whatever their number. */
export async function writeBooks(client: pg.PoolClient, changes: readonly (readonly [before: TeamBook, after: TeamBook])[]): Promise<void> {
  const bookRecords: Record<string, string>[] = [];
  const positionRecords: Record<string, string | number>[] = [];
  for (const [before, after] of changes) {
    if (before.cash !== after.cash || before.reservedCash !== after.reservedCash || before.realizedPnl !== after.realizedPnl) {
      bookRecords.push({
        team_id: after.teamId,
        cash: moneyParam(after.cash),
        reserved_cash: moneyParam(after.reservedCash),
        realized_pnl: moneyParam(after.realizedPnl),
      });
    }
    const symbols = new Set([...Object.keys(after.positions), ...Object.keys(after.pendingSell), ...Object.keys(before.pendingSell)]);
    for (const symbol of [...symbols].sort()) {
      const was = positionRowOf(before, symbol);
      const now = positionRowOf(after, symbol);
      if (was.quantity === now.quantity && was.costBasis === now.costBasis && was.realizedPnl === now.realizedPnl && was.pendingSell === now.pendingSell) {
        continue;
      }
      positionRecords.push({
        team_id: after.teamId,
        symbol,
        quantity: now.quantity,
        pending_sell: now.pendingSell,
        cost_basis: moneyParam(now.costBasis),
        realized_pnl: moneyParam(now.realizedPnl),
      });
    }
  }
  if (bookRecords.length > 0) {
    await query(
      client,
      `UPDATE team_books AS b SET cash = r.cash, reserved_cash = r.reserved_cash, realized_pnl = r.realized_pnl, updated_at = now()
       FROM jsonb_to_recordset($1::jsonb) AS r(team_id text, cash numeric, reserved_cash numeric, realized_pnl numeric)
       WHERE b.team_id = r.team_id`,
      [JSON.stringify(bookRecords)],
    );
  }
  if (positionRecords.length > 0) {
    await query(
      client,
      `INSERT INTO team_positions (team_id, symbol, quantity, pending_sell, cost_basis, realized_pnl)
       SELECT team_id, symbol, quantity, pending_sell, cost_basis, realized_pnl
       FROM jsonb_to_recordset($1::jsonb) AS r(team_id text, symbol text, quantity bigint, pending_sell bigint, cost_basis numeric, realized_pnl numeric)
       ON CONFLICT (team_id, symbol) DO UPDATE SET quantity = EXCLUDED.quantity, pending_sell = EXCLUDED.pending_sell,
         cost_basis = EXCLUDED.cost_basis, realized_pnl = EXCLUDED.realized_pnl, updated_at = now()`,
      [JSON.stringify(positionRecords)],
    );
  }
}

function positionRowOf(book: TeamBook, symbol: string): PositionBook & { pendingSell: number } {
  const position = book.positions[symbol] ?? { quantity: 0, costBasis: 0, realizedPnl: 0 };
  return { ...position, pendingSell: book.pendingSell[symbol] ?? 0 };
}

function toBook(row: BookRow, positionRows: readonly PositionRow[]): TeamBook {
  const positions: Record<string, PositionBook> = {};
  const pendingSell: Record<string, number> = {};
  for (const position of positionRows) {
    positions[position.symbol] = {
      quantity: sharesColumn(position.quantity),
      costBasis: moneyColumn(position.cost_basis),
      realizedPnl: moneyColumn(position.realized_pnl),
    };
    const pending = sharesColumn(position.pending_sell);
    if (pending > 0) pendingSell[position.symbol] = pending;
  }
  return {
    teamId: row.team_id,
    cash: moneyColumn(row.cash),
    reservedCash: moneyColumn(row.reserved_cash),
    positions,
    realizedPnl: moneyColumn(row.realized_pnl),
    pendingSell,
  };
}
