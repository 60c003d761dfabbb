/**
 * The leaderboard board in Postgres: its checkpoint (one row, `leaderboard_checkpoint`) and the snapshot
 * reads that advance or rebuild a board. Every statement here handles all teams at once and carries no
 * per-team value Postgres could refuse (the accumulators travel as one bytea), so no team's data can
 * fail it for the others.
 */
import type pg from 'pg';
import type { Queryable } from '../../data/postgres/transaction.ts';
import { decimalStringToMoney, toDollars } from '../trading/money.ts';
import { MetricsAccumulator } from '../trading/metrics/metrics.ts';
import { BoardState, decodeAccumulators, encodeAccumulators, SPARKLINE_POINTS, type BoardSnapshot } from './boardState.ts';

type Db = Queryable;

interface SnapshotRow {
  team_id: string;
  minute: Date;
  equity: string;
  cash: string;
  positions_value: string;
}

const toSnapshot = (row: SnapshotRow): BoardSnapshot => ({
  teamId: row.team_id,
  minute: row.minute.getTime(),
  equity: decimalStringToMoney(row.equity),
  cash: decimalStringToMoney(row.cash),
  positionsValue: decimalStringToMoney(row.positions_value),
});

/** The checkpoint's minute (epoch ms), or null when none was written. */
export async function checkpointMinute(db: Db): Promise<number | null> {
  const { rows } = await db.query<{ minute: Date }>('SELECT minute FROM leaderboard_checkpoint');
  return rows[0]?.minute.getTime() ?? null;
}

/** Snapshots with after < minute ≤ upTo (`after` −∞: from the first), oldest first. */
export async function snapshotsBetween(db: Db, after: number, upTo: number): Promise<BoardSnapshot[]> {
  const { rows } = await db.query<SnapshotRow>({
    text: `SELECT team_id, minute, equity::text AS equity, cash::text AS cash, positions_value::text AS positions_value
             FROM equity_snapshots WHERE ($1::timestamptz IS NULL OR minute > $1) AND minute <= $2 ORDER BY minute, team_id`,
    values: [Number.isFinite(after) ? new Date(after) : null, new Date(upTo)],
  });
  return rows.map(toSnapshot);
}

/** Writes the board's accumulators and watermark in one statement (nothing before the first snapshot). */
export async function saveCheckpoint(client: pg.PoolClient, board: BoardState): Promise<void> {
  if (!Number.isFinite(board.watermark)) return;
  const teamIds = [...board.teams.keys()].sort();
  await client.query(
    `INSERT INTO leaderboard_checkpoint (id, minute, team_ids, accumulators) VALUES (true, $1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET minute = EXCLUDED.minute, team_ids = EXCLUDED.team_ids, accumulators = EXCLUDED.accumulators, updated_at = now()`,
    [new Date(board.watermark), teamIds, encodeAccumulators(board, teamIds)],
  );
}

/**
 * A board as a process that never stopped would hold it at `upTo`: the checkpoint's accumulators, each
 * team's latest SPARKLINE_POINTS snapshots up to the checkpoint (sparkline and latest figures), then the
 * snapshots after the checkpoint taken in order. Without a checkpoint every stored snapshot is replayed.
 */
export async function rebuildBoard(db: Db, upTo: number): Promise<BoardState> {
  const board = new BoardState();
  const { rows } = await db.query<{ minute: Date; team_ids: string[]; accumulators: Buffer }>('SELECT minute, team_ids, accumulators FROM leaderboard_checkpoint');
  const checkpoint = rows[0];
  if (checkpoint !== undefined) {
    const watermark = checkpoint.minute.getTime();
    const states = decodeAccumulators(checkpoint.team_ids, checkpoint.accumulators);
    const { rows: tails } = await db.query<SnapshotRow>({
      text: `SELECT s.team_id, s.minute, s.equity::text AS equity, s.cash::text AS cash, s.positions_value::text AS positions_value
               FROM unnest($1::text[]) AS t(team_id)
               CROSS JOIN LATERAL (SELECT team_id, minute, equity, cash, positions_value FROM equity_snapshots e
                                    WHERE e.team_id = t.team_id AND e.minute <= $2 ORDER BY minute DESC LIMIT $3) s
              ORDER BY s.team_id, s.minute`,
      values: [checkpoint.team_ids, new Date(watermark), SPARKLINE_POINTS],
    });
    const byTeam = new Map<string, BoardSnapshot[]>();
    for (const row of tails) {
      const list = byTeam.get(row.team_id) ?? [];
      list.push(toSnapshot(row));
      byTeam.set(row.team_id, list);
    }
    for (const [teamId, state] of states) {
      const tail = byTeam.get(teamId);
      if (tail === undefined || tail.length === 0) throw new Error(`leaderboard checkpoint: team ${teamId} has no snapshot at or before ${checkpoint.minute.toISOString()}`);
      board.teams.set(teamId, {
        accumulator: new MetricsAccumulator({}, state),
        recent: tail.map((snapshot) => toDollars(snapshot.equity)),
        latest: tail.at(-1)!,
      });
    }
    board.watermark = watermark;
  }
  if (upTo > board.watermark) board.advance(await snapshotsBetween(db, board.watermark, upTo));
  return board;
}
