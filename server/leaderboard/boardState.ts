/**
 * The leaderboard's running state, in memory where the books stage runs: per team the metrics
 * accumulator, the sparkline's latest equities and the latest snapshot's figures. It advances from the
 * minute's snapshots (the ones the books stage just computed), so a minute costs O(teams) whatever the
 * length of the season, with no re-read of earlier snapshots.
 *
 * Pure: no I/O. `boardStore.ts` persists the accumulators compactly (one row, `encodeAccumulators`) and
 * rebuilds a board after a restart from that checkpoint plus the snapshots; because the state is a
 * deterministic function of the snapshot sequence (the same float operations in the same order), a
 * rebuilt board holds the same numbers to the last bit as one that never stopped.
 */
import { toDollars, type Money } from '../trading/money.ts';
import { MetricsAccumulator, type MetricsAccumulatorState } from '../trading/metrics/metrics.ts';

/** Equities kept per team for the sparkline. */
export const SPARKLINE_POINTS = 120;

/** The part of an equity snapshot the board reads. */
export interface BoardSnapshot {
  teamId: string;
  /** Epoch ms of the minute. */
  minute: number;
  equity: Money;
  cash: Money;
  positionsValue: Money;
}

export interface TeamBoard {
  /** Equity series metrics (trade statistics are not kept here: they come from `fills`). */
  accumulator: MetricsAccumulator;
  /** Latest equities in dollars, oldest first, at most SPARKLINE_POINTS. */
  recent: number[];
  /** The latest snapshot taken. */
  latest: BoardSnapshot;
}

export interface BoardProblem {
  teamId: string;
  minute: number;
  message: string;
}

export class BoardState {
  readonly teams = new Map<string, TeamBoard>();
  /**
   * The latest snapshot minute taken (−∞: none). A minute's snapshots are stored in one transaction, so
   * every snapshot at or before it has been taken and the next advance reads only later ones.
   */
  watermark = Number.NEGATIVE_INFINITY;

  /**
   * Takes the snapshots later than the watermark, minute by minute. A snapshot the accumulator refuses
   * (an equity it cannot take) is reported and left out of the metrics, never failing the other teams;
   * it still shows on the sparkline and as the latest figures, as the rebuild from Postgres does too.
   */
  advance(snapshots: readonly BoardSnapshot[]): { taken: number; problems: BoardProblem[] } {
    const fresh = snapshots.filter((snapshot) => snapshot.minute > this.watermark);
    // Per team the minutes must increase; across teams the order does not matter. Stable sort keeps input order on ties.
    fresh.sort((a, b) => a.minute - b.minute);
    const problems: BoardProblem[] = [];
    for (const snapshot of fresh) {
      let team = this.teams.get(snapshot.teamId);
      if (team === undefined) {
        team = { accumulator: new MetricsAccumulator(), recent: [], latest: snapshot };
        this.teams.set(snapshot.teamId, team);
      }
      try {
        team.accumulator.observeEquity(snapshot.minute, snapshot.equity);
      } catch (error) {
        problems.push({ teamId: snapshot.teamId, minute: snapshot.minute, message: error instanceof Error ? error.message : String(error) });
      }
      team.recent.push(toDollars(snapshot.equity));
      if (team.recent.length > SPARKLINE_POINTS) team.recent.splice(0, team.recent.length - SPARKLINE_POINTS);
      team.latest = snapshot;
      if (snapshot.minute > this.watermark) this.watermark = snapshot.minute;
    }
    return { taken: fresh.length, problems };
  }
}

/** Numbers per team in an encoded checkpoint (the accumulator's equity-series state). */
export const ACCUMULATOR_FIELDS = 13;

// null is written as NaN: none of these fields is ever NaN (equities and minutes are finite, counts whole).
const put = (value: number | null): number => (value === null ? Number.NaN : value);
const get = (value: number): number | null => (Number.isNaN(value) ? null : value);

/**
 * The accumulators of the given teams as one little-endian Float64 array, ACCUMULATOR_FIELDS per team
 * in `teamIds` order: exact to the bit (−0 included), ~100 bytes a team.
 */
export function encodeAccumulators(board: BoardState, teamIds: readonly string[]): Buffer {
  const out = Buffer.alloc(teamIds.length * ACCUMULATOR_FIELDS * 8);
  let offset = 0;
  for (const teamId of teamIds) {
    const state = board.teams.get(teamId)!.accumulator.state();
    const values = [
      state.firstEquity,
      state.lastEquity,
      state.lastMinute,
      state.returns.count,
      state.returns.mean,
      state.returns.m2,
      state.sumSquaredNegativeReturns,
      state.drawdown.observations,
      state.drawdown.peak,
      state.drawdown.peakIndex,
      state.drawdown.maxDepth,
      state.drawdown.maxPeakIndex,
      state.drawdown.maxRecoveryIndex,
    ];
    for (const value of values) {
      out.writeDoubleLE(put(value), offset);
      offset += 8;
    }
  }
  return out;
}

/** The accumulator states of an encoded checkpoint, by team id. */
export function decodeAccumulators(teamIds: readonly string[], encoded: Buffer): Map<string, MetricsAccumulatorState> {
  if (encoded.length !== teamIds.length * ACCUMULATOR_FIELDS * 8) {
    throw new Error(`leaderboard checkpoint: ${String(encoded.length)} bytes for ${String(teamIds.length)} teams (expected ${String(teamIds.length * ACCUMULATOR_FIELDS * 8)})`);
  }
  const out = new Map<string, MetricsAccumulatorState>();
  for (const [index, teamId] of teamIds.entries()) {
    const at = (field: number): number => encoded.readDoubleLE((index * ACCUMULATOR_FIELDS + field) * 8);
    out.set(teamId, {
      firstEquity: get(at(0)),
      lastEquity: get(at(1)),
      lastMinute: get(at(2)),
      returns: { count: at(3), mean: at(4), m2: at(5) },
      sumSquaredNegativeReturns: at(6),
      drawdown: { observations: at(7), peak: at(8), peakIndex: at(9), maxDepth: at(10), maxPeakIndex: at(11), maxRecoveryIndex: get(at(12)) },
      tradeCount: 0,
      winningTrades: 0,
      grossProfit: 0,
      grossLoss: 0,
    });
  }
  return out;
}
