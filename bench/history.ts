// Equity history at scale: GET /api/v1/team/{id}/history with 10,000 points (every point, and
// downsampled with ?points=), and GET /api/v1/leaderboard/history for every team, against the cached
// GET /leaderboard measured in the same run, on the same server (bench/apiHarness.ts in its own
// process), autocannon as the client. The team history is measured twice: the same range over and
// over (answers kept while the range's rows are unchanged, checked by one small query per request) and
// a new range every request (Postgres writes every answer). Also times, in this process, the reading
// behind the route: the points read one by one in JavaScript (the old path) against Postgres' JSON.
// Targets: p50 ≤ 100 ms for the 10,000-point history, and within 50× of the cached leaderboard's p50.
// Run with: npm run bench:history   (POINTS, TEAMS, TEAM_POINTS, CONNECTIONS, DURATION_S)   Prints one JSON object.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import pino from 'pino';
import { startEmbeddedPostgres, type EmbeddedService } from '../data/embedded/postgresCluster.ts';
import { startEmbeddedRedis } from '../data/embedded/redisServer.ts';
import { createLedger } from '../server/ledger/ledger.ts';
import { migrateUp } from '../data/postgres/migrate.ts';
import { createPgPool, type PgPool } from '../data/postgres/pool.ts';
import { ApiKeyStore } from '../registry/keys/store.ts';
import { teamEquityHistory, teamEquityHistoryJson, teamHistoryVersion, type HistoryRange } from '../server/leaderboard/history.ts';
import { quantile, round, startHarness } from './apiProcess.ts';

const POINTS = Number(process.env.POINTS ?? 10_000);
const TEAMS = Number(process.env.TEAMS ?? 20);
/** Snapshots of every other team, for the all-teams route. */
const TEAM_POINTS = Number(process.env.TEAM_POINTS ?? 500);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 10);
const DURATION_S = Number(process.env.DURATION_S ?? 8);
const DOWNSAMPLED = 500;
/** The harness snapshots every team from this minute on (bench/apiHarness.ts); the history lies before it. */
const HARNESS_START = Date.UTC(2025, 6, 8, 13, 30);
const DAYS = Math.min(365, Math.ceil(POINTS / 1_440) + 2);

const silent = pino({ level: 'silent' });
const started: EmbeddedService[] = [];
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-bench-history-'));

/** `count` minutes of a random walk from $100,000 to the cent-and-more (4 decimals), ending a minute before the harness starts. */
async function seedHistory(pool: PgPool, teamIds: string[], count: number): Promise<void> {
  await pool.query(
    `INSERT INTO equity_snapshots (team_id, minute, equity, cash, reserved_cash, positions_value, unrealized_pnl, realized_pnl, positions)
     SELECT t.id, to_timestamp($2 / 1000.0) - (g * interval '1 minute'), w.equity, w.equity, 0, 0, 0, 0, '{}'::jsonb
       FROM unnest($1::text[]) AS t(id)
      CROSS JOIN generate_series(1, $3::int) AS g
      CROSS JOIN LATERAL (SELECT round((100000 + 2000 * sin(g / 300.0 + length(t.id)) + (random() - 0.5) * 50)::numeric, 4) AS equity) w`,
    [teamIds, HARNESS_START, count],
  );
}

/** p50 of `runs` sequential calls, in ms. */
async function timeIt(runs: number, call: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  return round(quantile(times, 0.5));
}

/** `path` gives each request its path (to make every request a new range); without it, `url` every time. */
async function load(name: string, url: string, headers: Record<string, string> = {}, path?: () => string) {
  const probe = await fetch(url, { headers });
  const body = await probe.text();
  if (probe.status !== 200) throw new Error(`${name} answered ${probe.status}: ${body.slice(0, 200)}`);
  const requests: autocannon.Request[] | undefined = path === undefined ? undefined : [{ setupRequest: (request) => ({ ...request, path: path() }) }];
  const options: autocannon.Options = { url, headers, connections: CONNECTIONS, pipelining: 1, ...(requests === undefined ? {} : { requests }) };
  await autocannon({ ...options, duration: 2 });
  const result = await autocannon({ ...options, duration: DURATION_S });
  return {
    route: name,
    responseBytes: Buffer.byteLength(body),
    requestsPerSecond: round(result.requests.average),
    latencyMs: { p50: result.latency.p50, mean: round(result.latency.average), p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

try {
  const databaseUrl = (await startEmbeddedPostgres({ dataDir, log: silent }).then((s) => (started.push(s), s))).url;
  const redisUrl = (await startEmbeddedRedis({ dataDir, log: silent }).then((s) => (started.push(s), s))).url;
  const pool = createPgPool({ url: databaseUrl, max: 4, connectTimeoutMs: 10_000 });
  await migrateUp(pool);
  // The harness's own team ids, so it seeds and publishes the same teams on top of this history.
  const teamIds = Array.from({ length: TEAMS }, (_, i) => `team-${String(i).padStart(4, '0')}`);
  await pool.query(`INSERT INTO teams (id, name, repo) SELECT id, 'Team ' || id, 'file:///bench' FROM unnest($1::text[]) AS id`, [teamIds]);
  await createLedger(pool).ensureTeamBooks(teamIds, 100_000 * 10_000);
  const [charted, ...others] = teamIds as [string, ...string[]];
  await seedHistory(pool, [charted], POINTS);
  await seedHistory(pool, others, TEAM_POINTS);
  // As autovacuum would have by then: the version check's count is then an index-only scan.
  await pool.query('VACUUM ANALYZE equity_snapshots');
  const key = (await new ApiKeyStore({ pool, graceMs: 0 }).issue(charted, 'bench')).key;

  // The reading behind the route, alone: JavaScript points (the old path) against Postgres' JSON.
  const range: HistoryRange = { days: DAYS, limit: POINTS };
  const readingMs = {
    javascriptPoints: await timeIt(20, async () => JSON.stringify(await teamEquityHistory(pool, charted, range))),
    postgresJson: await timeIt(20, () => teamEquityHistoryJson(pool, charted, range)),
    // What a kept answer costs in Postgres on each request.
    versionCheck: await timeIt(50, () => teamHistoryVersion(pool, charted, range)),
  };

  const harness = await startHarness({ TEAMS: String(TEAMS), BENCH_DATABASE_URL: databaseUrl, BENCH_REDIS_URL: redisUrl });
  try {
    const base = harness.info.url;
    const auth = { authorization: `Bearer ${key}` };
    const leaderboard = await load('GET /leaderboard (cached)', `${base}/leaderboard`);
    // The floor of a team route: the key checked, the rate counted, one small query (no trades: an empty page).
    const teamFloor = await load('GET /api/v1/team/{id}/trades?limit=1 (team route floor)', `${base}/api/v1/team/${charted}/trades?limit=1`, auth);
    const history = await load(`GET /api/v1/team/{id}/history (${POINTS} points)`, `${base}/api/v1/team/${charted}/history?days=${DAYS}&limit=${POINTS}`, auth);
    // Every request a range not asked for before (limit 10,000, 9,999, …): Postgres writes each answer.
    let asked = 0;
    const uncached = await load(
      `GET /api/v1/team/{id}/history (${POINTS} points, every request a new range)`,
      `${base}/api/v1/team/${charted}/history?days=${DAYS}&limit=${POINTS}`,
      auth,
      () => {
        asked += 1;
        return `/api/v1/team/${charted}/history?days=${DAYS}&limit=${POINTS - (asked % (POINTS - 1))}`;
      },
    );
    const downsampled = await load(
      `GET /api/v1/team/{id}/history?points=${DOWNSAMPLED} (${POINTS} points in)`,
      `${base}/api/v1/team/${charted}/history?days=${DAYS}&limit=${POINTS}&points=${DOWNSAMPLED}`,
      auth,
    );
    const allTeams = await load(
      `GET /api/v1/leaderboard/history (${TEAMS} teams, ${TEAM_POINTS} points each)`,
      `${base}/api/v1/leaderboard/history?days=${DAYS}&limit=${TEAM_POINTS}`,
    );
    let allAsked = 0;
    const allTeamsUncached = await load(
      `GET /api/v1/leaderboard/history (${TEAMS} teams, ${TEAM_POINTS} points each, every request a new range)`,
      `${base}/api/v1/leaderboard/history?days=${DAYS}&limit=${TEAM_POINTS}`,
      {},
      () => {
        allAsked += 1;
        return `/api/v1/leaderboard/history?days=${DAYS}&limit=${TEAM_POINTS + 1 + (allAsked % 4_000)}`;
      },
    );
    const ratio = (of: { latencyMs: { p50: number } }) => round(of.latencyMs.p50 / Math.max(leaderboard.latencyMs.p50, 1));
    const meanRatio = (of: { latencyMs: { mean: number } }) => round(of.latencyMs.mean / leaderboard.latencyMs.mean);
    const output = {
      benchmark: 'equity history at scale',
      points: POINTS,
      teams: TEAMS,
      connections: CONNECTIONS,
      durationS: DURATION_S,
      readingMs,
      readingSpeedup: round(readingMs.javascriptPoints / readingMs.postgresJson),
      routes: [leaderboard, teamFloor, history, uncached, downsampled, allTeams, allTeamsUncached],
      // The leaderboard's p50 is floored at 1 ms (autocannon reports whole milliseconds); the means are not rounded.
      p50VersusLeaderboard: {
        teamFloor: ratio(teamFloor),
        history: ratio(history),
        historyEveryRequestNew: ratio(uncached),
        downsampled: ratio(downsampled),
        allTeams: ratio(allTeams),
        allTeamsEveryRequestNew: ratio(allTeamsUncached),
      },
      meanVersusLeaderboard: { teamFloor: meanRatio(teamFloor), history: meanRatio(history), historyEveryRequestNew: meanRatio(uncached), allTeams: meanRatio(allTeams) },
      target: {
        historyP50Ms: 100,
        withinLeaderboardFactor: 50,
        met: history.latencyMs.p50 <= 100 && ratio(history) <= 50,
      },
    };
    process.stdout.write(`${JSON.stringify(output, null, 2)}\n`);
  } finally {
    await harness.stop();
  }
  await pool.end();
} finally {
  for (const service of started.reverse()) await service.stop().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}
