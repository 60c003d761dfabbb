/**
 * A team's minute as its own stream tells it (equity, CPU time, error and console output), read
 * from the books and the minute job's runs once the minute's `tick` event has been published.
 */
import type { PgPool } from '../../data/postgres/pool.ts';
import { decimalStringToMoney, toDollars } from '../trading/money.ts';
import { clipMinuteEvent } from './clip.ts';
import type { TeamMinuteEvent } from './events.ts';

interface MinuteRow {
  team_id: string;
  minute: Date;
  equity: string | null;
  cash: string | null;
  cpu_ms: number | null;
  ran: boolean;
  error: { kind?: unknown; message?: unknown } | null;
  logs: unknown;
}

const dollars = (text: string | null): number | null => (text === null ? null : toDollars(decimalStringToMoney(text)));

function logLines(value: unknown): TeamMinuteEvent['logs'] {
  if (!Array.isArray(value)) return [];
  return value.map((line: unknown) => {
    if (typeof line === 'string') return { level: 'log', message: line };
    const record = (typeof line === 'object' && line !== null ? line : {}) as { level?: unknown; message?: unknown };
    return { level: typeof record.level === 'string' ? record.level : 'log', message: typeof record.message === 'string' ? record.message : '' };
  });
}

/** The minutes (`minutes`, epoch ms) of these teams that have a snapshot or a run, texts clipped. */
export async function loadTeamMinutes(pg: PgPool, teamIds: readonly string[], minutes: readonly number[], at: number = Date.now()): Promise<TeamMinuteEvent[]> {
  if (teamIds.length === 0 || minutes.length === 0) return [];
  const { rows } = await pg.query<MinuteRow>(
    `SELECT t.team_id, m.minute, s.equity::text AS equity, s.cash::text AS cash, r.cpu_ms, r.team_id IS NOT NULL AS ran, r.error, r.logs
       FROM unnest($1::text[]) AS t(team_id)
       CROSS JOIN unnest($2::timestamptz[]) AS m(minute)
       LEFT JOIN equity_snapshots s ON s.team_id = t.team_id AND s.minute = m.minute
       LEFT JOIN tick_team_runs r ON r.team_id = t.team_id AND r.minute = m.minute
      WHERE s.team_id IS NOT NULL OR r.team_id IS NOT NULL
      ORDER BY m.minute, t.team_id`,
    [teamIds, minutes.map((minute) => new Date(minute))],
  );
  return rows.map((row) =>
    clipMinuteEvent({
      type: 'minute',
      at,
      teamId: row.team_id,
      minute: row.minute.getTime(),
      equity: dollars(row.equity),
      cash: dollars(row.cash),
      cpuMs: row.ran ? (row.cpu_ms ?? 0) : null,
      error: row.error ? { kind: typeof row.error.kind === 'string' ? row.error.kind : 'unknown', message: typeof row.error.message === 'string' ? row.error.message : '' } : null,
      logs: logLines(row.logs),
    }),
  );
}
