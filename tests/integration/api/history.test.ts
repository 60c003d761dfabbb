/**
 * The equity-history routes answer with JSON Postgres writes; these tests hold that text to the bytes
 * the original path gives (points read in JavaScript, serialised by Fastify with the same schema) on
 * awkward values, and check downsampling (`points`), paging (`before`/`after`) and refusals.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgPool, type PgPool } from '../../../data/postgres/pool.ts';
import { allEquityHistories, allEquityHistoriesJson, teamEquityHistory, teamEquityHistoryJson, type EquityPoint } from '../../../server/leaderboard/history.ts';
import { lttbIndices } from '../../../server/leaderboard/lttb.ts';
import { leaderboardHistorySchema, teamHistorySchema } from '../../../server/http/routes/liveSchemas.ts';
import { ADMIN_KEY, buildApiApp, type ApiApp } from './app.ts';
import { openApiWorld, type ApiWorld } from './support.ts';
import { HISTORY_CHECK_REUSE_MS } from '../../../server/http/routes/historyReply.ts';

let world: ApiWorld;
let api: ApiApp;
/** The app's own pool, on a session time zone with daylight saving time. */
let newYorkPool: PgPool;
/** The original routes: points from `teamEquityHistory` / `allEquityHistories`, serialised by Fastify with the routes' schemas. */
let reference: FastifyInstance;
let adminHeaders: Record<string, string>;

/** A fixed-seed generator (mulberry32): the same awkward values on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Equity as NUMERIC(20,4) text with 0–4 decimals, either sign, from $0.0001 to below $1e11. */
function awkwardEquity(next: () => number): string {
  const digits = 1 + Math.floor(next() * 11);
  const whole = Math.floor(next() * 10 ** digits);
  const places = Math.floor(next() * 5);
  const fraction = places === 0 ? '' : `.${String(Math.floor(next() * 10 ** places)).padStart(places, '0')}`;
  return `${next() < 0.3 ? '-' : ''}${whole}${fraction}`;
}

async function insertSnapshots(pool: PgPool, teamId: string, rows: Array<[minute: string, equity: string]>): Promise<void> {
  await pool.query(
    `INSERT INTO equity_snapshots (team_id, minute, equity, cash, reserved_cash, positions_value, unrealized_pnl, realized_pnl, positions)
     SELECT $1, m::timestamptz, e::numeric, e::numeric, 0, 0, 0, 0, '{}'::jsonb FROM unnest($2::text[], $3::text[]) AS u(m, e)`,
    [teamId, rows.map((row) => row[0]), rows.map((row) => row[1])],
  );
}

const START = Date.UTC(2025, 2, 3, 14, 30);
const AWKWARD_POINTS = 3_000;

// Around the US and EU daylight-saving changes (UTC), at millisecond and microsecond precision.
const EDGES: Array<[string, string]> = [
  ['2025-03-09 06:59:59.999+00', '123456.7891'],
  ['2025-03-09 07:00:00.001+00', '-2500.5000'],
  ['2025-03-09 07:00:00.123456+00', '0.0001'],
  ['2025-03-09 07:00:01.999999+00', '-0.0001'],
  ['2025-03-30 00:59:59.999+00', '0.0000'],
  ['2025-03-30 01:00:00+00', '99999999999.9999'],
  ['2025-03-30 01:00:00.5+00', '-99999999999.9999'],
  ['2025-11-02 05:59:59.999+00', '100000.1000'],
  ['2025-11-02 06:00:00.000001+00', '12345678901.2345'],
  ['2025-11-02 06:00:00.01+00', '0.1'],
  ['2025-11-02 06:00:00.1+00', '-0.3'],
];

beforeAll(async () => {
  world = await openApiWorld();
  for (const id of ['alpha', 'beta', 'huge', 'nobody', 'a-team', '42', '10', '4294967294', '4294967295', '007']) await world.addTeam(id);
  await world.addTeam('removed');
  await world.pool.query(`UPDATE teams SET removed_at = now() WHERE id = 'removed'`);

  const next = random(20_251_203);
  const alpha: Array<[string, string]> = [];
  for (let i = 0; i < AWKWARD_POINTS; i += 1) {
    // Minutes with a random millisecond part, and at odd indices a microsecond part (even ones are exact
    // to the millisecond, so the paging test can take their timestamps as bounds).
    const ms = START + i * 60_000 + Math.floor(next() * 60_000);
    const micro = i % 2 === 1 ? String(Math.floor(next() * 1_000)).padStart(3, '0') : '';
    alpha.push([`${new Date(ms).toISOString().replace('Z', '')}${micro}+00`, awkwardEquity(next)]);
  }
  await insertSnapshots(world.pool, 'alpha', [...alpha, ...EDGES]);
  for (const id of ['beta', 'a-team', '42', '10', '4294967294', '4294967295', '007', 'removed']) {
    await insertSnapshots(
      world.pool,
      id,
      Array.from({ length: 40 }, (_, i): [string, string] => [new Date(Date.UTC(2025, 10, 2, 5, 40 + i, 7, 250)).toISOString(), awkwardEquity(next)]),
    );
  }
  // 16 significant digits: a double prints it differently from the decimal, so these go the JavaScript
  // way. Months before the others, so the all-teams answer over 7 days is Postgres' JSON.
  await insertSnapshots(world.pool, 'huge', [
    ['2025-03-01 06:00:00+00', '100000000000.0001'],
    ['2025-03-01 06:01:00+00', '123456789012.3457'],
    ['2025-03-01 06:02:00+00', '5.5'],
  ]);

  const { rows } = await world.pool.query<{ name: string }>('SELECT current_database() AS name');
  await world.pool.query(`ALTER DATABASE ${rows[0]!.name} SET TimeZone TO 'America/New_York'`);
  newYorkPool = createPgPool({ url: world.pool.options.connectionString!, max: 4, connectTimeoutMs: 5_000 });
  api = await buildApiApp(world, { pg: newYorkPool });
  adminHeaders = { authorization: `Bearer ${ADMIN_KEY}` };

  reference = Fastify();
  reference.get<{ Params: { id: string }; Querystring: { days: string; limit: string } }>('/team/:id', { schema: { response: { 200: teamHistorySchema } } }, async (request) => {
    const range = { days: Number(request.query.days), limit: Number(request.query.limit) };
    const history = await teamEquityHistory(world.pool, request.params.id, range);
    return { team_id: request.params.id, days: range.days, data_points: history.length, history };
  });
  reference.get<{ Querystring: { days: string; limit: string } }>('/all', { schema: { response: { 200: leaderboardHistorySchema } } }, async (request) => {
    const range = { days: Number(request.query.days), limit: Number(request.query.limit) };
    return { days: range.days, teams: await allEquityHistories(world.pool, range) };
  });
  await reference.ready();
}, 120_000);

afterAll(async () => {
  await reference.close();
  await api.close();
  await newYorkPool.end();
  await world.close();
});

const teamHistory = (id: string, query: string) => api.app.inject({ url: `/api/v1/team/${id}/history?${query}`, headers: adminHeaders });
const referenceTeam = (id: string, days: number, limit: number) => reference.inject({ url: `/team/${id}?days=${days}&limit=${limit}` });

/** A version check is reused for HISTORY_CHECK_REUSE_MS: a change is seen once that has passed. */
const outlastReuse = () => new Promise((resolve) => setTimeout(resolve, HISTORY_CHECK_REUSE_MS + 20));

describe('GET /api/v1/team/{id}/history', () => {
  it('answers with the same bytes as the points serialised in JavaScript (awkward values, ms and µs, DST edges)', async () => {
    for (const [days, limit] of [
      [365, 10_000],
      [7, 1_000],
      [1, 10],
      [1, 1],
    ] as const) {
      const response = await teamHistory('alpha', `days=${days}&limit=${limit}`);
      const expected = await referenceTeam('alpha', days, limit);
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe(expected.headers['content-type']);
      expect(response.body).toBe(expected.body);
    }
    const all = (await teamHistory('alpha', 'days=365&limit=10000')).json<{ data_points: number; history: EquityPoint[] }>();
    expect(all.data_points).toBe(AWKWARD_POINTS + EDGES.length);
    // The edges read back as written (the session's time zone is New York's).
    expect(all.history.slice(-EDGES.length).map((p) => p.timestamp)).toEqual(EDGES.map(([minute]) => new Date(minute.replace(/(\.\d{3})\d+/, '$1')).toISOString()));
    expect(all.history.slice(-EDGES.length).map((p) => p.value)).toEqual(EDGES.map(([, equity]) => Number(equity)));
  });

  it('gives the same bytes for values of 16 significant digits (read the JavaScript way), a team without snapshots and an unknown team', async () => {
    for (const id of ['huge', 'beta', 'nobody']) {
      const response = await teamHistory(id, 'days=7&limit=1000');
      expect(response.statusCode).toBe(200);
      expect(response.body).toBe((await referenceTeam(id, 7, 1_000)).body);
    }
    expect((await teamHistory('huge', '')).json<{ history: EquityPoint[] }>().history.map((p) => p.value)).toEqual([100_000_000_000.0001, 123_456_789_012.3457, 5.5]);
    expect((await teamHistory('nobody', '')).body).toBe('{"team_id":"nobody","days":7,"data_points":0,"history":[]}');
  });

  it('downsamples to `points` with LTTB, keeping the first and last point', async () => {
    const full = (await referenceTeam('alpha', 365, 10_000)).json<{ history: EquityPoint[] }>().history;
    for (const points of [2, 3, 100, 1_000]) {
      const response = await teamHistory('alpha', `days=365&limit=10000&points=${points}`);
      expect(response.statusCode).toBe(200);
      const body = response.json<{ team_id: string; days: number; data_points: number; history: EquityPoint[] }>();
      expect(body.data_points).toBe(points);
      expect(body.history).toHaveLength(points);
      expect(body.history[0]).toEqual(full[0]);
      expect(body.history.at(-1)).toEqual(full.at(-1));
      const kept = lttbIndices(
        full.map((p) => Date.parse(p.timestamp)),
        full.map((p) => p.value),
        points,
      );
      expect(body.history).toEqual(kept.map((i) => full[i]));
    }
  });

  it('returns the series unchanged when `points` is at least its length', async () => {
    const expected = await referenceTeam('alpha', 1, 50);
    expect((await teamHistory('alpha', 'days=1&limit=50&points=50')).body).toBe(expected.body);
    expect((await teamHistory('alpha', 'days=1&limit=50&points=10000')).body).toBe(expected.body);
  });

  it('pages back with `before` and bounds with `after`', async () => {
    const full = (await teamHistory('alpha', 'days=365&limit=10000')).json<{ history: EquityPoint[] }>().history;
    const newest = (await teamHistory('alpha', 'days=365&limit=500')).json<{ history: EquityPoint[] }>().history;
    const older = (await teamHistory('alpha', `days=365&limit=500&before=${encodeURIComponent(newest[0]!.timestamp)}`)).json<{ history: EquityPoint[] }>().history;
    expect([...older, ...newest]).toEqual(full.slice(-1_000));
    const after = full[100]!.timestamp;
    const bounded = (await teamHistory('alpha', `days=365&limit=10000&after=${after}&before=${full[200]!.timestamp}`)).json<{ data_points: number; history: EquityPoint[] }>();
    expect(bounded.history).toEqual(full.slice(101, 200));
    expect(bounded.data_points).toBe(99);
    // `days` count back from the newest snapshot before `before`.
    const day = (await teamHistory('alpha', `days=1&limit=10000&before=${full[2_000]!.timestamp}`)).json<{ history: EquityPoint[] }>().history;
    expect(day.at(-1)).toEqual(full[1_999]);
    expect(Date.parse(day[0]!.timestamp)).toBeGreaterThanOrEqual(Date.parse(full[1_999]!.timestamp) - 86_400_000);
    expect(Date.parse(full[1_999 - day.length]!.timestamp)).toBeLessThan(Date.parse(full[1_999]!.timestamp) - 86_400_000);
  });

  it('serves a kept answer only while no snapshot came into its range (a newer one, or one out of order)', async () => {
    await world.addTeam('gamma');
    const minute = (i: number): string => new Date(Date.UTC(2025, 5, 2, 14, 0) + i * 60_000).toISOString();
    await insertSnapshots(
      world.pool,
      'gamma',
      Array.from({ length: 100 }, (_, i): [string, string] => [minute(2 * i), `${100_000 + i}.25`]),
    );
    const expectSame = async (count: number) => {
      await outlastReuse();
      for (const query of ['days=7&limit=1000', 'days=7&limit=1000&points=10']) {
        const answers = [await teamHistory('gamma', query), await teamHistory('gamma', query)];
        const expected = (await referenceTeam('gamma', 7, 1_000)).json<{ history: EquityPoint[] }>().history;
        expect(expected).toHaveLength(count);
        for (const answer of answers) {
          const body = answer.json<{ history: EquityPoint[] }>();
          if (query.includes('points'))
            expect(body.history).toEqual(
              lttbIndices(
                expected.map((p) => Date.parse(p.timestamp)),
                expected.map((p) => p.value),
                10,
              ).map((i) => expected[i]),
            );
          else expect(answer.body).toBe((await referenceTeam('gamma', 7, 1_000)).body);
        }
      }
    };
    await expectSame(100);
    await insertSnapshots(world.pool, 'gamma', [[minute(200), '1.5']]);
    await expectSame(101);
    // Out of order: between two earlier minutes, the newest unchanged.
    await insertSnapshots(world.pool, 'gamma', [[minute(101), '-7.0001']]);
    await expectSame(102);
    expect((await teamHistory('gamma', 'days=7&limit=1000')).json<{ history: EquityPoint[] }>().history).toContainEqual({ timestamp: minute(101), value: -7.0001 });
  });

  it('refuses malformed `points`, `before` and `after` with a JSON 400', async () => {
    for (const query of [
      'points=1',
      'points=0',
      'points=-5',
      'points=abc',
      'points=2.5',
      'points=10001',
      'points=1e309',
      'points=',
      'before=yesterday',
      'before=2025-13-01T00:00:00Z',
      'before=0000-01-01T00:00:00Z',
      'after=2025-01-01',
      'after=%00',
    ]) {
      const response = await teamHistory('alpha', query);
      expect(response.statusCode, query).toBe(400);
      expect(response.json(), query).toEqual({ error: 'bad_request', message: expect.any(String) as string });
    }
  });
});

describe('GET /api/v1/leaderboard/history', () => {
  it('answers with the same bytes as the points serialised in JavaScript, teams in JavaScript key order', async () => {
    for (const [days, limit] of [
      [7, 500],
      [365, 5_000],
      [1, 3],
    ] as const) {
      const response = await api.app.inject({ url: `/api/v1/leaderboard/history?days=${days}&limit=${limit}` });
      const expected = await reference.inject({ url: `/all?days=${days}&limit=${limit}` });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toBe(expected.headers['content-type']);
      expect(response.body).toBe(expected.body);
    }
    const teams = Object.keys((await api.app.inject({ url: '/api/v1/leaderboard/history?days=365&limit=5000' })).json<{ teams: object }>().teams);
    // Array-index keys first, ascending; the removed team left out.
    expect(teams.slice(0, 3)).toEqual(['10', '42', '4294967294']);
    expect(teams).not.toContain('removed');
  });

  it('downsamples every team to `points` and refuses malformed values', async () => {
    const full = (await reference.inject({ url: '/all?days=365&limit=5000' })).json<{ teams: Record<string, EquityPoint[]> }>().teams;
    const response = await api.app.inject({ url: '/api/v1/leaderboard/history?days=365&limit=5000&points=20' });
    expect(response.statusCode).toBe(200);
    const teams = response.json<{ days: number; teams: Record<string, EquityPoint[]> }>().teams;
    expect(Object.keys(teams)).toEqual(Object.keys(full));
    for (const [id, series] of Object.entries(full)) {
      expect(teams[id]).toHaveLength(Math.min(20, series.length));
      expect(teams[id]![0]).toEqual(series[0]);
      expect(teams[id]!.at(-1)).toEqual(series.at(-1));
    }
    for (const query of ['points=1', 'points=x', 'before=nope']) expect((await api.app.inject({ url: `/api/v1/leaderboard/history?${query}` })).statusCode).toBe(400);
  });
});

describe('kept answers of GET /api/v1/leaderboard/history', () => {
  it('are served only while no snapshot came into the range and no team left', async () => {
    const expectSame = async () => {
      await outlastReuse();
      for (const query of ['days=7&limit=500', 'days=7&limit=500&points=5']) {
        const expected = await reference.inject({ url: '/all?days=7&limit=500' });
        for (let i = 0; i < 2; i += 1) {
          const answer = await api.app.inject({ url: `/api/v1/leaderboard/history?${query}` });
          if (!query.includes('points')) expect(answer.body).toBe(expected.body);
          else expect(Object.keys(answer.json<{ teams: object }>().teams)).toEqual(Object.keys(expected.json<{ teams: object }>().teams));
        }
      }
      return (await api.app.inject({ url: '/api/v1/leaderboard/history?days=7&limit=500' })).json<{ teams: Record<string, EquityPoint[]> }>().teams;
    };
    const before = await expectSame();
    await insertSnapshots(world.pool, 'beta', [['2025-11-02 07:00:00+00', '1.5']]);
    expect((await expectSame()).beta!.at(-1)).toEqual({ timestamp: '2025-11-02T07:00:00.000Z', value: 1.5 });
    // Out of order: an earlier minute, the newest unchanged.
    await insertSnapshots(world.pool, 'a-team', [['2025-11-02 05:45:30+00', '-3']]);
    expect((await expectSame())['a-team']).toHaveLength(before['a-team']!.length + 1);
    await world.pool.query(`UPDATE teams SET removed_at = now() WHERE id = '007'`);
    expect(Object.keys(await expectSame())).not.toContain('007');
  });
});

describe('which reading answers', () => {
  /** Runs `read` on the real pool, counting its queries (one: Postgres' JSON; two: it fell back to the points). */
  async function queriesOf(read: (pool: PgPool) => Promise<unknown>): Promise<number> {
    const pool = createPgPool({ url: world.pool.options.connectionString!, max: 1, connectTimeoutMs: 5_000 });
    const query = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    let count = 0;
    (pool as unknown as { query: typeof query }).query = (...args) => ((count += 1), query(...args));
    try {
      await read(pool);
      return count;
    } finally {
      await pool.end();
    }
  }

  it("uses Postgres' JSON unless a value or year is one it would print differently", async () => {
    const range = { days: 365, limit: 10_000 };
    expect(await queriesOf((pool) => teamEquityHistoryJson(pool, 'alpha', range))).toBe(1);
    expect(await queriesOf((pool) => teamEquityHistoryJson(pool, 'huge', range))).toBe(2);
    expect(await queriesOf((pool) => allEquityHistoriesJson(pool, { days: 7, limit: 500 }))).toBe(1);
    expect(await queriesOf((pool) => allEquityHistoriesJson(pool, range))).toBe(2);
    expect((await allEquityHistoriesJson(world.pool, range)).json).toBe(JSON.stringify(await allEquityHistories(world.pool, range)));
  });
});

describe('/docs', () => {
  it('documents `points`, `before` and `after` on both history routes', async () => {
    const document = (await api.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, { get: { parameters: Array<{ name: string; description?: string }> } }> }>();
    for (const path of ['/api/v1/team/{id}/history', '/api/v1/leaderboard/history']) {
      const parameters = document.paths[path]!.get.parameters;
      expect(parameters.map((p) => p.name)).toEqual(expect.arrayContaining(['days', 'limit', 'points', 'before', 'after']));
      expect(parameters.find((p) => p.name === 'points')!.description).toMatch(/LTTB/);
    }
  });
});
