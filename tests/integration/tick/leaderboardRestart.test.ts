import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { SPARKLINE_POINTS } from '../../../server/leaderboard/boardState.ts';
import { computeAndPublishLeaderboard } from '../../../server/leaderboard/publish.ts';
import { readTradeStats } from '../../../server/ledger/tradeStats.ts';
import { readStandings, tradeStats } from '../../../server/leaderboard/standings.ts';
import { buildLeaderboardView } from '../../../server/leaderboard/view.ts';
import { decimalStringToMoney } from '../../../server/trading/money.ts';
import { MINUTE, openApiWorld, type ApiWorld } from '../api/support.ts';

/**
 * The leaderboard's board lives in the memory of the process computing it and advances from each minute's
 * snapshots. A process's board belongs to its Postgres pool, so a new pool is a fresh process: it rebuilds
 * the board from the checkpoint and the snapshots. Two identical seasons, one computed by a single process
 * that never stops and one by processes that restart and take turns, must publish byte-identical boards
 * and write byte-identical checkpoints, minute after minute.
 */

const TEAMS = ['ada', 'bob', 'cyd', 'dee', 'eve'];
// Past the sparkline's length, so a rebuilt sparkline is cut from the stored snapshots as the live one was.
const MINUTES = SPARKLINE_POINTS + 15;
const NOW = Date.UTC(2025, 0, 3);
const at = (index: number): number => MINUTE + index * 60_000;

/** A wandering price in whole cents: equities with many digits, falls and recoveries. */
const price = (symbol: string, index: number): number => {
  const base = symbol === 'SPY' ? 100 : 50;
  return Math.round((base + 7 * Math.sin(index * 0.37 + base) + 3 * Math.cos(index * 1.3)) * 100) / 100;
};

async function playMinute(world: ApiWorld, index: number): Promise<void> {
  const minute = at(index);
  // Each team trades on its own rhythm: buys, then sells part, so realised P&L and trade counts change too.
  for (const [k, teamId] of TEAMS.entries()) {
    const phase = (index + k * 3) % 11;
    const symbol = k % 2 === 0 ? 'SPY' : 'QQQ';
    if (phase === 0) await world.trade(teamId, 'buy', symbol, 10 + k, price(symbol, index), minute, 1);
    if (phase === 6 && index >= 6) await world.trade(teamId, 'sell', symbol, 5 + k, price(symbol, index), minute, 1);
  }
  if (index === 40) {
    // One team's stored snapshot the metrics cannot take (a negative equity): it is reported, and no other team suffers.
    await world.pool.query(
      `INSERT INTO equity_snapshots (team_id, minute, equity, cash, reserved_cash, positions_value, unrealized_pnl, realized_pnl, positions)
       VALUES ('dee', $1, -1, 0, 0, 0, 0, 0, '{}')`,
      [new Date(minute)],
    );
  }
  await world.snapshot(minute, { SPY: price('SPY', index), QQQ: price('QQQ', index) });
}

interface Published {
  json: string;
  checkpoint: string;
  problems: string[];
}

async function publish(world: ApiWorld, pool: PgPool, index: number): Promise<Published> {
  const minute = at(index);
  const { rows: stored } = await pool.query<{ team_id: string; equity: string; cash: string; positions_value: string }>(
    'SELECT team_id, equity::text, cash::text, positions_value::text FROM equity_snapshots WHERE minute = $1 ORDER BY team_id',
    [new Date(minute)],
  );
  const given = stored.map((row) => ({
    teamId: row.team_id,
    minute,
    equity: decimalStringToMoney(row.equity),
    cash: decimalStringToMoney(row.cash),
    positionsValue: decimalStringToMoney(row.positions_value),
  }));
  const result = await computeAndPublishLeaderboard(pool, world.redis, minute, { keys: world.keys, now: () => NOW, snapshots: given });
  const { rows } = await pool.query<{ minute: Date; team_ids: string[]; accumulators: Buffer }>('SELECT minute, team_ids, accumulators FROM leaderboard_checkpoint');
  const checkpoint = rows[0]!;
  return {
    json: result.json,
    checkpoint: `${checkpoint.minute.toISOString()} ${checkpoint.team_ids.join(',')} ${checkpoint.accumulators.toString('hex')}`,
    problems: result.problems.map((problem) => `${problem.teamId} ${new Date(problem.minute).toISOString()} ${problem.message}`),
  };
}

let continuous: ApiWorld;
let restarted: ApiWorld;
const extraPools: PgPool[] = [];

beforeAll(async () => {
  [continuous, restarted] = await Promise.all([openApiWorld(), openApiWorld()]);
  for (const world of [continuous, restarted]) for (const teamId of TEAMS) await world.addTeam(teamId, teamId.toUpperCase());
}, 60_000);

afterAll(async () => {
  await Promise.all(extraPools.map((pool) => pool.end().catch(() => undefined)));
  await continuous?.close();
  await restarted?.close();
});

/** A new process on the restarted world's database: its own pool, hence no board in memory. */
function freshProcess(): PgPool {
  const pool = createPgPool({ url: restarted.pool.options.connectionString!, max: 3, connectTimeoutMs: 5_000 });
  extraPools.push(pool);
  return pool;
}

describe('the leaderboard board across restarts', { timeout: 240_000 }, () => {
  it('publishes byte-identical boards and checkpoints whether one process ran every minute or processes restarted and took turns', async () => {
    // The restarted season: a first process for 50 minutes, a fresh one for 20, then two processes taking
    // turns in runs of 1 to 3 minutes (as two workers take the books jobs), the last run past the sparkline.
    let process = restarted.pool;
    let other = freshProcess();
    const problems: string[] = [];
    for (let index = 0; index < MINUTES; index++) {
      await playMinute(continuous, index);
      await playMinute(restarted, index);
      if (index === 50) process = freshProcess();
      if (index >= 70 && index < MINUTES - 10 && index % 3 !== 1) [process, other] = [other, process];
      if (index === MINUTES - 10) process = freshProcess();
      const expected = await publish(continuous, continuous.pool, index);
      const actual = await publish(restarted, process, index);
      expect(actual.json).toBe(expected.json);
      expect(actual.checkpoint).toBe(expected.checkpoint);
      expect(actual.problems).toEqual(expected.problems);
      problems.push(...actual.problems);
    }
    expect(problems).toEqual([expect.stringMatching(/^dee 2025-01-02T15:11:00\.000Z equity must be a finite, non-negative amount/)]);

    const board = JSON.parse((await continuous.redis.get(continuous.keys.leaderboard)) ?? 'null') as {
      leaderboard: Array<{ team_id: string; data_points: number; total_trades: number; sparkline: number[] }>;
    };
    expect(board.leaderboard.map((entry) => entry.team_id).sort()).toEqual([...TEAMS].sort());
    for (const entry of board.leaderboard) {
      expect(entry.sparkline).toHaveLength(SPARKLINE_POINTS);
      expect(entry.data_points).toBe(entry.team_id === 'dee' ? MINUTES - 2 : MINUTES - 1);
      expect(entry.total_trades).toBeGreaterThan(5);
    }

    // A process reading the standings from Postgres alone (no board in memory) sees the same figures, and the
    // trade statistics the ledger advanced fill by fill equal the sum over the season's fills.
    for (const world of [continuous, restarted]) {
      const sorted = <T>(map: ReadonlyMap<string, T>): Array<[string, T]> => [...map].sort(([a], [b]) => a.localeCompare(b));
      expect(sorted(await readTradeStats(world.pool))).toEqual(sorted(await tradeStats(world.pool, null)));
      const rebuilt = buildLeaderboardView(await readStandings(world.pool, new Set()), false, NOW);
      expect(JSON.stringify(rebuilt)).toBe(await world.redis.get(world.keys.leaderboard));
    }
  });
});
