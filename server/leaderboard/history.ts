/**
 * Equity histories for charts. "The last N days" counts back from the newest snapshot, not from
 * the wall clock, so a replayed or simulated season (whose minutes may lie in the past) charts the
 * same way as a live one.
 */
import type { PgPool } from '../../data/postgres/pool.ts';
import { decimalStringToMoney, toDollars } from '../trading/money.ts';

export interface EquityPoint {
  timestamp: string;
  value: number;
}

const DAY_MS = 86_400_000;

const point = (minute: Date, equity: string): EquityPoint => ({ timestamp: minute.toISOString(), value: toDollars(decimalStringToMoney(equity)) });

/** One team's equity over the last `days` days, the newest `limit` points, oldest first. */
export async function teamEquityHistory(pg: PgPool, teamId: string, days: number, limit: number): Promise<EquityPoint[]> {
  const { rows } = await pg.query<{ minute: Date; equity: string }>(
    `SELECT minute, equity::text AS equity FROM equity_snapshots
      WHERE team_id = $1 AND minute >= (SELECT max(minute) FROM equity_snapshots WHERE team_id = $1) - $2 * interval '1 millisecond'
      ORDER BY minute DESC LIMIT $3`,
    [teamId, days * DAY_MS, limit],
  );
  return rows.reverse().map((row) => point(row.minute, row.equity));
}

/** Every live team's equity over the last `days` days, the newest `limit` points per team, oldest first. */
export async function allEquityHistories(pg: PgPool, days: number, limit: number): Promise<Record<string, EquityPoint[]>> {
  const { rows } = await pg.query<{ team_id: string; minute: Date; equity: string }>(
    `WITH recent AS (
       SELECT s.team_id, s.minute, s.equity, row_number() OVER (PARTITION BY s.team_id ORDER BY s.minute DESC) AS n
         FROM equity_snapshots s JOIN teams t ON t.id = s.team_id AND t.removed_at IS NULL
        WHERE s.minute >= (SELECT max(minute) FROM equity_snapshots) - $1 * interval '1 millisecond')
     SELECT team_id, minute, equity::text AS equity FROM recent WHERE n <= $2 ORDER BY team_id, minute`,
    [days * DAY_MS, limit],
  );
  const teams: Record<string, EquityPoint[]> = {};
  for (const row of rows) (teams[row.team_id] ??= []).push(point(row.minute, row.equity));
  return teams;
}
