import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SYMBOL_PATTERN } from '../../../data/market/bar.ts';
import { byCodeUnits } from '../../../server/codeUnitOrder.ts';
import { snapshotOf } from '../../../server/ledger/snapshotOf.ts';
import { toMoney } from '../../../server/trading/money.ts';
import { newTeamBook } from '../../../server/trading/portfolio/book.ts';

// Tickers as bars spell them (data/market/bar.ts): the only symbols a book can hold.
const tickerArb = fc.stringMatching(/^[A-Z0-9][A-Z0-9.]{0,7}$/);

describe('snapshot positions', () => {
  it('come in the order localeCompare gave them before (code units and en-US collation agree on tickers)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(tickerArb, { minLength: 2, maxLength: 12 }), (symbols) => {
        expect(symbols.every((symbol) => SYMBOL_PATTERN.test(symbol))).toBe(true);
        expect([...symbols].sort(byCodeUnits)).toEqual([...symbols].sort((a, b) => a.localeCompare(b, 'en-US')));
        const book = newTeamBook('t', toMoney(1_000));
        const positions = Object.fromEntries(symbols.map((symbol) => [symbol, { quantity: 1, costBasis: toMoney(10), realizedPnl: 0 }]));
        const snapshot = snapshotOf({ ...book, positions }, 0, {});
        // As the snapshot was built before: keys added in localeCompare's order (a record puts integer-like keys first either way).
        const before = Object.fromEntries([...symbols].sort((a, b) => a.localeCompare(b, 'en-US')).map((symbol) => [symbol, null]));
        expect(Object.keys(snapshot.positions)).toEqual(Object.keys(before));
      }),
      { numRuns: 300 },
    );
  });
});
