/**
 * Recomputes every team book from the ledger's own history and lists where the stored book differs.
 * All the book's numbers are order-independent sums over fills and orders:
 *   cash        = starting cash − Σ buy notional + Σ sell notional      (applied fills)
 *   quantity    = Σ bought − Σ sold
 *   cost basis  = Σ buy notional − Σ sell notional + Σ realised P&L     (cost removed = proceeds − P&L)
 *   realised    = Σ realised P&L of sells
 *   reserved    = Σ over buy orders of reserved shares × reservation price;  pending sell = Σ reserved shares of sells
 * An empty result means every leaderboard number traces back to fills exactly.
 */
import type { Money } from '../trading/money.ts';
import { readBooks } from './books.ts';
import { query } from '../../data/postgres/query.ts';
import { type Queryable } from '../../data/postgres/transaction.ts';
import { moneyColumn, sharesColumn } from './sql.ts';

export type AuditedField = 'cash' | 'reservedCash' | 'realizedPnl' | 'quantity' | 'costBasis' | 'pendingSell' | 'positionRealizedPnl';

export interface BookAuditFinding {
  teamId: string;
  /** null for book-level fields. */
  symbol: string | null;
  field: AuditedField;
  stored: number;
  expected: number;
}

interface Totals {
  quantity: number;
  netSpent: Money;
  realized: Money;
  reservedCash: Money;
  pendingSell: number;
}

export async function auditBooks(db: Queryable): Promise<BookAuditFinding[]> {
  const books = await readBooks(db, null);
  const starting = new Map(
    (await query<{ team_id: string; starting_cash: string }>(db, 'SELECT team_id, starting_cash FROM team_books')).map((row) => [row.team_id, moneyColumn(row.starting_cash)]),
  );
  const fills = await query<{ team_id: string; symbol: string; quantity: string; net_spent: string; realized: string }>(
    db,
    `SELECT team_id, symbol,
       SUM(CASE WHEN side = 'buy' THEN quantity ELSE -quantity END) AS quantity,
       SUM(CASE WHEN side = 'buy' THEN quantity * price ELSE -quantity * price END) AS net_spent,
       SUM(COALESCE(realized_pnl, 0)) AS realized
     FROM fills WHERE applied GROUP BY team_id, symbol`,
  );
  const orders = await query<{ team_id: string; symbol: string; reserved_cash: string; pending_sell: string }>(
    db,
    `SELECT team_id, symbol,
       SUM(CASE WHEN side = 'buy' THEN reserved_quantity * COALESCE(limit_price, reference_price) ELSE 0 END) AS reserved_cash,
       SUM(CASE WHEN side = 'sell' THEN reserved_quantity ELSE 0 END) AS pending_sell
     FROM orders GROUP BY team_id, symbol`,
  );
  const totals = new Map<string, Map<string, Totals>>();
  const totalsOf = (teamId: string, symbol: string): Totals => {
    const team = totals.get(teamId) ?? new Map<string, Totals>();
    totals.set(teamId, team);
    const entry = team.get(symbol) ?? { quantity: 0, netSpent: 0, realized: 0, reservedCash: 0, pendingSell: 0 };
    team.set(symbol, entry);
    return entry;
  };
  for (const row of fills) {
    const entry = totalsOf(row.team_id, row.symbol);
    entry.quantity = sharesColumn(row.quantity);
    entry.netSpent = moneyColumn(row.net_spent);
    entry.realized = moneyColumn(row.realized);
  }
  for (const row of orders) {
    const entry = totalsOf(row.team_id, row.symbol);
    entry.reservedCash = moneyColumn(row.reserved_cash);
    entry.pendingSell = sharesColumn(row.pending_sell);
  }

  const findings: BookAuditFinding[] = [];
  const check = (teamId: string, symbol: string | null, field: AuditedField, stored: number, expected: number) => {
    if (stored !== expected) findings.push({ teamId, symbol, field, stored, expected });
  };
  for (const book of books) {
    const team = totals.get(book.teamId) ?? new Map<string, Totals>();
    const all = [...team.values()];
    const sum = (pick: (entry: Totals) => number) => all.reduce((total, entry) => total + pick(entry), 0);
    check(book.teamId, null, 'cash', book.cash, (starting.get(book.teamId) ?? 0) - sum((e) => e.netSpent));
    check(
      book.teamId,
      null,
      'reservedCash',
      book.reservedCash,
      sum((e) => e.reservedCash),
    );
    check(
      book.teamId,
      null,
      'realizedPnl',
      book.realizedPnl,
      sum((e) => e.realized),
    );
    const symbols = new Set([...team.keys(), ...Object.keys(book.positions)]);
    for (const symbol of [...symbols].sort()) {
      const entry = team.get(symbol) ?? { quantity: 0, netSpent: 0, realized: 0, reservedCash: 0, pendingSell: 0 };
      const position = book.positions[symbol] ?? { quantity: 0, costBasis: 0, realizedPnl: 0 };
      check(book.teamId, symbol, 'quantity', position.quantity, entry.quantity);
      check(book.teamId, symbol, 'costBasis', position.costBasis, entry.netSpent + entry.realized);
      check(book.teamId, symbol, 'positionRealizedPnl', position.realizedPnl, entry.realized);
      check(book.teamId, symbol, 'pendingSell', book.pendingSell[symbol] ?? 0, entry.pendingSell);
    }
  }
  return findings;
}
