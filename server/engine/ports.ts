/**
 * The minute engine's ports (DESIGN.md "One engine, three uses"). A backtest plugs in memory books, an
 * in-process sandbox pool and the simulated venue; the live tick plugs in the Postgres ledger, warm shard
 * pools and the simulated venue or Alpaca. The stages in this folder only see these shapes.
 *
 *   minute source ─▶ fills (venue) ─▶ team views ─▶ strategies (host) ─▶ decide ─▶ intents (books) ─▶ submit (venue) ─▶ snapshot (books)
 */
import type { Bar } from '../../data/market/bar.ts';
import type { Ledger } from '../ledger/ledger.ts';
import type { EncodedBars, EncodedPrices, TeamMinuteState, TeamRunResult } from '../../sandbox/index.ts';
import type { SimVenue } from '../trading/brokers/sim/simVenue.ts';
import type { NettedVenue } from '../trading/netting/nettedVenue.ts';
import type { Broker } from '../trading/types.ts';

/**
 * The book store: team books, orders and their reservations, fills applied once, minute snapshots.
 * The Postgres ledger is one; `MemoryBooks` (a backtest's) is the other, on the same pure accounting.
 */
export type BookStore = Pick<
  Ledger,
  | 'ensureTeamBooks'
  | 'loadBooks'
  | 'getOrder'
  | 'openOrders'
  | 'recordIntents'
  | 'applyFill'
  | 'applyFills'
  | 'recordBrokerState'
  | 'recordBrokerStates'
  | 'pendingSubmissions'
  | 'recordSubmitFailure'
  | 'snapshotEquity'
>;

/**
 * The execution venue: the simulated venue (its fills computed each minute from the open orders), or a
 * broker that streams its fills as they happen (Alpaca), with a way to wait for those received so far, or
 * the netted venue over such a broker (one net order per minute and symbol, allocated to the teams).
 */
export type Execution = { kind: 'sim'; venue: SimVenue } | { kind: 'stream'; broker: Broker; idle: () => Promise<void> } | { kind: 'netted'; venue: NettedVenue };

export const brokerOf = (execution: Execution): Broker => (execution.kind === 'sim' ? execution.venue : execution.kind === 'netted' ? execution.venue.broker : execution.broker);

/**
 * The strategy host: runs the given teams on a minute's bars, each seeing its own state. `bars` is the
 * minute as the engine was given it; `encoded` the same bars as the sandbox pool stores them
 * (`MinuteInput.encoded`), made once per minute and not written to again. `prices` are every symbol's
 * last price as lists in a record's key order (`MinuteInput.encodedPrices`), the engine's own, updated
 * in place the next minute: a host copies what it keeps.
 */
export interface StrategyHost {
  run(minute: number, bars: ReadonlyMap<string, Bar>, teams: readonly TeamMinuteState[], encoded: EncodedBars, prices: EncodedPrices): Promise<ReadonlyMap<string, TeamRunResult>>;
}
