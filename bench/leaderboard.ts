// Leaderboard computation per minute: the board advanced in memory from the minute's snapshots
// (server/leaderboard, what the books stage runs) against the design it replaced, measured in the same run
// on the same database: per-team state rows (accumulator and sparkline as jsonb) read back, advanced from
// the snapshots re-read from Postgres, and rewritten every minute, then standings joined from four tables.
// Both build the same view, stringify it and store and publish it in Redis.
// Run with: npm run bench:leaderboard   (TEAMS=1000 HISTORY=60 MINUTES=20 by default); prints one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedService } from '../data/embedded/postgresCluster.ts';
import { startEmbeddedRedis } from '../data/embedded/redisServer.ts';
import { createLedger } from '../server/ledger/ledger.ts';
import { migrateUp } from '../data/postgres/migrate.ts';
import { createPgPool } from '../data/postgres/pool.ts';
import { inTransaction } from '../data/postgres/transaction.ts';
import { connectRedis, createRedis } from '../data/redis/client.ts';
import { SPARKLINE_POINTS } from '../server/leaderboard/boardState.ts';
import { computeAndPublishLeaderboard } from '../server/leaderboard/publish.ts';
import { tradeStats } from '../server/leaderboard/standings.ts';
import { buildLeaderboardView, type TeamStanding } from '../server/leaderboard/view.ts';
import { MetricsAccumulator, type MetricsAccumulatorState } from '../server/trading/metrics/metrics.ts';
import { decimalStringToMoney, toDollars } from '../server/trading/money.ts';

const TEAMS = Number(process.env.TEAMS ?? 1000);
const HISTORY = Number(process.env.HISTORY ?? 60);
const MINUTES = Number(process.env.MINUTES ?? 20);
const OPEN = Date.UTC(2025, 6, 8, 13, 30);
const silent = pino({ level: 'silent' });
const money = (text: string): number => decimalStringToMoney(text);

const started: EmbeddedService[] = [];
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-bench-leaderboard-'));

/** The replaced design, kept here as the peer: per-team state rows, everything re-read and rewritten each minute. */
const PEER_TABLE = `CREATE TABLE peer_team_state (team_id text PRIMARY KEY, last_minute timestamptz NOT NULL, accumulator jsonb NOT NULL,
  recent jsonb NOT NULL DEFAULT '[]'::jsonb, updated_at timestamptz NOT NULL DEFAULT now())`;

async function peerAdvance(client: pg.PoolClient, minute: number): Promise<void> {
  const { rows: stateRows } = await client.query<{ team_id: string; last_minute: Date; accumulator: MetricsAccumulatorState; recent: number[] }>(
    'SELECT team_id, last_minute, accumulator, recent FROM peer_team_state',
  );
  const states = new Map(stateRows.map((row) => [row.team_id, row]));
  const { rows } = await client.query<{ team_id: string; minute: Date; equity: string }>({
    text: `SELECT s.team_id, s.minute, s.equity::text AS equity FROM equity_snapshots s LEFT JOIN peer_team_state m ON m.team_id = s.team_id
            WHERE s.minute <= $1 AND (m.last_minute IS NULL OR s.minute > m.last_minute) ORDER BY s.team_id, s.minute`,
    values: [new Date(minute)],
  });
  const changed = new Map<string, { accumulator: MetricsAccumulator; recent: number[]; lastMinute: number }>();
  for (const row of rows) {
    let team = changed.get(row.team_id);
    if (team === undefined) {
      const saved = states.get(row.team_id);
      team = { accumulator: new MetricsAccumulator({}, saved?.accumulator), recent: [...(saved?.recent ?? [])], lastMinute: 0 };
      changed.set(row.team_id, team);
    }
    team.accumulator.observeEquity(row.minute.getTime(), money(row.equity));
    team.recent.push(toDollars(money(row.equity)));
    if (team.recent.length > SPARKLINE_POINTS) team.recent.splice(0, team.recent.length - SPARKLINE_POINTS);
    team.lastMinute = row.minute.getTime();
  }
  const records = [...changed].map(([teamId, team]) => ({
    team_id: teamId,
    last_minute: new Date(team.lastMinute).toISOString(),
    accumulator: team.accumulator.state(),
    recent: team.recent,
  }));
  await client.query(
    `INSERT INTO peer_team_state (team_id, last_minute, accumulator, recent)
     SELECT team_id, last_minute, accumulator, recent FROM jsonb_to_recordset($1::jsonb) AS r(team_id text, last_minute timestamptz, accumulator jsonb, recent jsonb)
     ON CONFLICT (team_id) DO UPDATE SET last_minute = EXCLUDED.last_minute, accumulator = EXCLUDED.accumulator, recent = EXCLUDED.recent, updated_at = now()`,
    [JSON.stringify(records)],
  );
}

async function peerStandings(client: pg.PoolClient): Promise<TeamStanding[]> {
  const { rows } = await client.query<{
    team_id: string;
    name: string;
    enabled: boolean;
    last_minute: Date;
    accumulator: MetricsAccumulatorState;
    recent: number[];
    equity: string;
    cash: string;
    positions_value: string;
    starting_cash: string;
  }>(
    `SELECT m.team_id, t.name, t.enabled, m.last_minute, m.accumulator, m.recent, s.equity::text AS equity, s.cash::text AS cash,
            s.positions_value::text AS positions_value, b.starting_cash::text AS starting_cash
       FROM peer_team_state m JOIN teams t ON t.id = m.team_id AND t.removed_at IS NULL
       JOIN equity_snapshots s ON s.team_id = m.team_id AND s.minute = m.last_minute JOIN team_books b ON b.team_id = m.team_id`,
  );
  const trades = await tradeStats(client, null);
  return rows.map((row) => {
    const state = { ...row.accumulator, ...(trades.get(row.team_id) ?? { tradeCount: 0, winningTrades: 0, grossProfit: 0, grossLoss: 0 }) };
    return {
      teamId: row.team_id,
      name: row.name,
      enabled: row.enabled,
      halted: false,
      minute: row.last_minute.getTime(),
      equity: toDollars(money(row.equity)),
      cash: toDollars(money(row.cash)),
      positionsValue: toDollars(money(row.positions_value)),
      startingCash: toDollars(money(row.starting_cash)),
      metrics: new MetricsAccumulator({}, state).snapshot(),
      currentDrawdown: null,
      sparkline: row.recent,
    };
  });
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[rank]! * 10) / 10;
}

try {
  const pgService = await startEmbeddedPostgres({ dataDir, log: silent });
  started.push(pgService);
  const redisService = await startEmbeddedRedis({ dataDir, log: silent });
  started.push(redisService);
  const pool = createPgPool({ url: pgService.url, max: 5, connectTimeoutMs: 10_000 });
  await migrateUp(pool);
  await pool.query(PEER_TABLE);
  const ledger = createLedger(pool);
  const ids = Array.from({ length: TEAMS }, (_, i) => `team-${String(i).padStart(4, '0')}`);
  await pool.query(`INSERT INTO teams (id, name, repo) SELECT id, id, 'https://example.org/' || id FROM unnest($1::text[]) AS id`, [ids]);
  await ledger.ensureTeamBooks(ids, 100_000 * 10_000);
  const redis = createRedis(redisService.url);
  await connectRedis(redis, 10_000);
  const keys = { leaderboard: 'bench:lb', leaderboardChannel: 'bench:lb:updates', activityStream: 'bench:activity' };
  const mineMs: number[] = [];
  const peerMs: number[] = [];
  let identical = true;
  for (let index = 0; index < HISTORY + MINUTES; index++) {
    const minute = OPEN + index * 60_000;
    const snapshots = await ledger.snapshotEquity(minute, {});
    // Alternate which goes first, so neither always meets a warmer cache.
    const runMine = async () => {
      const begun = performance.now();
      const published = await computeAndPublishLeaderboard(pool, redis, minute, { keys, now: () => OPEN, snapshots });
      return { ms: performance.now() - begun, json: published.json };
    };
    const runPeer = async () => {
      const begun = performance.now();
      const json = await inTransaction(pool, async (client) => {
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('qtc.leaderboard'))`);
        await peerAdvance(client, minute);
        const text = JSON.stringify(buildLeaderboardView(await peerStandings(client), false, OPEN));
        await redis.multi().set(`${keys.leaderboard}:peer`, text).publish(`${keys.leaderboardChannel}:peer`, text).exec();
        return text;
      });
      return { ms: performance.now() - begun, json };
    };
    const [first, second] = index % 2 === 0 ? [await runMine(), await runPeer()] : [await runPeer(), await runMine()];
    const [mine, peer] = index % 2 === 0 ? [first, second] : [second, first];
    if (index < HISTORY) continue;
    mineMs.push(mine.ms);
    peerMs.push(peer.ms);
    // Same figures (the peer leaves current_drawdown out; compare the rest).
    const strip = (json: string) =>
      JSON.stringify(
        (JSON.parse(json) as { leaderboard: Array<Record<string, unknown>> }).leaderboard.map(({ current_drawdown: _a, current_drawdown_percentage: _b, ...rest }) => rest),
      );
    if (strip(mine.json) !== strip(peer.json)) identical = false;
  }
  redis.disconnect();
  await pool.end();
  const mine = { p50: percentile(mineMs, 50), p95: percentile(mineMs, 95) };
  const peer = { p50: percentile(peerMs, 50), p95: percentile(peerMs, 95) };
  console.log(
    JSON.stringify(
      {
        benchmark: 'leaderboard',
        teams: TEAMS,
        historyMinutes: HISTORY,
        minutes: MINUTES,
        loadAverage: os.loadavg()[0],
        note: 'ms per minute to advance, build, stringify and publish the board; peer = the replaced per-team-rows design, same database, same run, alternating order',
        incrementalMs: mine,
        peerMs: peer,
        ratio: { p50: Math.round((mine.p50 / peer.p50) * 1000) / 1000, p95: Math.round((mine.p95 / peer.p95) * 1000) / 1000 },
        sameBoards: identical,
      },
      null,
      2,
    ),
  );
} finally {
  await Promise.all(started.map((service) => service.stop()));
  rmSync(dataDir, { recursive: true, force: true });
}
