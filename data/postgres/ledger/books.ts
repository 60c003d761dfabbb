/**
 * Team books in Postgres: rows of `team_books` and `team_positions` to and from the pure `TeamBook`.
 * Writers lock the team's `team_books` row first (`lockBook`), which serialises every change to one
 * team's cash and positions across processes.
 */
import type pg from 'pg';
import type { PositionBook, TeamBook } from '../../../server/trading/types.ts';
import { moneyColumn, moneyParam, query, sharesColumn, type Queryable } from './sql.ts';

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

/** Locks the team's book row for the rest of the transaction and reads the whole book; null if it has none. */
export async function lockBook(client: pg.PoolClient, teamId: string): Promise<TeamBook | null> {
  const [row] = await query<BookRow>(client, 'SELECT team_id, cash, reserved_cash, realized_pnl FROM team_books WHERE team_id = $1 FOR UPDATE', [
    teamId,
  ]);
  if (!row) return null;
  const positions = await query<PositionRow>(
    client,
    'SELECT team_id, symbol, quantity, pending_sell, cost_basis, realized_pnl FROM team_positions WHERE team_id = $1',
    [teamId],
  );
  return toBook(row, positions);
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
  const byTeam = new Map<string, PositionRow[]>();
  for (const position of positions) {
    const list = byTeam.get(position.team_id) ?? [];
    list.push(position);
    byTeam.set(position.team_id, list);
  }
  return rows.map((row) => toBook(row, byTeam.get(row.team_id) ?? []));
}

/** Writes what changed between `before` (as read under lock) and `after`. */
export async function writeBook(client: pg.PoolClient, before: TeamBook, after: TeamBook): Promise<void> {
  if (before.cash !== after.cash || before.reservedCash !== after.reservedCash || before.realizedPnl !== after.realizedPnl) {
    await query(client, 'UPDATE team_books SET cash = $2, reserved_cash = $3, realized_pnl = $4, updated_at = now() WHERE team_id = $1', [
      after.teamId,
      moneyParam(after.cash),
      moneyParam(after.reservedCash),
      moneyParam(after.realizedPnl),
    ]);
  }
  const symbols = new Set([...Object.keys(after.positions), ...Object.keys(after.pendingSell), ...Object.keys(before.pendingSell)]);
  for (const symbol of [...symbols].sort()) {
    const was = positionRowOf(before, symbol);
    const now = positionRowOf(after, symbol);
    if (was.quantity === now.quantity && was.costBasis === now.costBasis && was.realizedPnl === now.realizedPnl && was.pendingSell === now.pendingSell) {
      continue;
    }
    await query(
      client,
      `INSERT INTO team_positions (team_id, symbol, quantity, pending_sell, cost_basis, realized_pnl)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (team_id, symbol) DO UPDATE SET quantity = EXCLUDED.quantity, pending_sell = EXCLUDED.pending_sell,
         cost_basis = EXCLUDED.cost_basis, realized_pnl = EXCLUDED.realized_pnl, updated_at = now()`,
      [after.teamId, symbol, now.quantity, now.pendingSell, moneyParam(now.costBasis), moneyParam(now.realizedPnl)],
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
