/**
 * Reconciliation of the shared broker account against our books, as a pure comparison: every team's
 * book is virtual, so the account's position in a symbol must equal the sum of the teams' positions.
 * Differences are classified and reported; nothing here (or anywhere) changes a book to make them agree,
 * because a silent fix would hide a lost fill, a foreign order or a bug.
 */
import type { BrokerPosition, TeamBook } from '../types.ts';

export type DiscrepancyKind =
  | 'missing_locally' // the broker holds shares no team book has
  | 'missing_at_broker' // team books hold shares the broker does not
  | 'quantity_mismatch'; // both hold the symbol, in different quantities

export interface PositionDiscrepancy {
  symbol: string;
  kind: DiscrepancyKind;
  /** Signed shares in the broker account (0 when the broker has no position). */
  brokerQuantity: number;
  /** Sum of the team books' shares (0 when no team holds the symbol). */
  booksQuantity: number;
  /**
   * Set by the scheduled reconciliation (server/reconciliation): in how many consecutive passes, this one
   * included, the symbol has differed; `alert` once that reaches the threshold. A fill in flight makes a
   * difference for one pass; one that stays is a lost fill, a foreign order or a bug.
   */
  consecutiveRuns?: number;
  alert?: boolean;
}

/** Shares per symbol summed over the team books (symbols every team has closed are left out). */
export function sumTeamPositions(books: readonly TeamBook[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const book of books) {
    for (const [symbol, position] of Object.entries(book.positions)) {
      if (position.quantity !== 0) totals.set(symbol, (totals.get(symbol) ?? 0) + position.quantity);
    }
  }
  return totals;
}

/** Every symbol where the broker and the books disagree, sorted by symbol; empty when they agree. */
export function classifyPositions(brokerPositions: readonly BrokerPosition[], books: readonly TeamBook[]): PositionDiscrepancy[] {
  const booksBySymbol = sumTeamPositions(books);
  const brokerBySymbol = new Map<string, number>();
  for (const position of brokerPositions) {
    // An account lists a symbol once; summing is still the honest reading if a feed repeats one.
    brokerBySymbol.set(position.symbol, (brokerBySymbol.get(position.symbol) ?? 0) + position.quantity);
  }
  const symbols = [...new Set([...booksBySymbol.keys(), ...brokerBySymbol.keys()])].sort();
  const discrepancies: PositionDiscrepancy[] = [];
  for (const symbol of symbols) {
    const brokerQuantity = brokerBySymbol.get(symbol) ?? 0;
    const booksQuantity = booksBySymbol.get(symbol) ?? 0;
    if (brokerQuantity === booksQuantity) continue;
    const kind: DiscrepancyKind = booksQuantity === 0 ? 'missing_locally' : brokerQuantity === 0 ? 'missing_at_broker' : 'quantity_mismatch';
    discrepancies.push({ symbol, kind, brokerQuantity, booksQuantity });
  }
  return discrepancies;
}
