import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeAndPublishLeaderboard } from '../../../server/leaderboard/publish.ts';
import type { LeaderboardView } from '../../../server/leaderboard/view.ts';
import { publishActivity } from '../../../server/live/activity.ts';
import { ADMIN_KEY, buildApiApp, type ApiApp } from './app.ts';
import { MINUTE, openApiWorld, type ApiWorld } from './support.ts';

let world: ApiWorld;
let api: ApiApp;
let alphaKey: string;
let betaKey: string;

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  world = await openApiWorld();
  await world.addTeam('alpha', 'Alpha Team');
  await world.addTeam('beta');
  await world.trade('alpha', 'buy', 'SPY', 100, 100, MINUTE);
  await world.trade('alpha', 'sell', 'SPY', 40, 103, MINUTE + 60_000);
  for (let i = 0; i < 4; i += 1) await world.snapshot(MINUTE + (i + 2) * 60_000, { SPY: 101 + i });
  api = await buildApiApp(world);
  alphaKey = (await api.keys.issue('alpha', 'test')).key;
  betaKey = (await api.keys.issue('beta', 'test')).key;
});
afterAll(async () => {
  await api.close();
  await world.close();
});

describe('public routes', () => {
  it('GET /leaderboard computes when nothing is cached, then serves the cache', async () => {
    const computed = await api.app.inject({ url: '/leaderboard' });
    expect(computed.statusCode).toBe(200);
    expect(computed.headers['content-type']).toMatch(/^application\/json/);
    const body = computed.json<LeaderboardView>();
    expect(body.leaderboard.map((entry) => [entry.rank, entry.team_id, entry.portfolio_value])).toEqual([
      [1, 'alpha', 100_000 + 120 + 60 * 4],
      [2, 'beta', 100_000],
    ]);

    const published = await computeAndPublishLeaderboard(world.pool, world.redis, MINUTE + 5 * 60_000, { keys: world.keys });
    const cached = await api.app.inject({ url: '/leaderboard' });
    expect(cached.body).toBe(published.json);
  });

  it('GET /api/v1/leaderboard/history gives each team its points', async () => {
    const response = await api.app.inject({ url: '/api/v1/leaderboard/history?days=1&limit=2' });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ days: number; teams: Record<string, Array<{ timestamp: string; value: number }>> }>();
    expect(body.days).toBe(1);
    expect(body.teams.alpha).toEqual([
      { timestamp: new Date(MINUTE + 4 * 60_000).toISOString(), value: 100_120 + 60 * 3 },
      { timestamp: new Date(MINUTE + 5 * 60_000).toISOString(), value: 100_120 + 60 * 4 },
    ]);
    expect(body.teams.beta).toHaveLength(2);
    expect((await api.app.inject({ url: '/api/v1/leaderboard/history?days=0' })).statusCode).toBe(400);
  });

  it('GET /api/v1/leaderboard/metrics sorts and windows', async () => {
    const response = await api.app.inject({ url: '/api/v1/leaderboard/metrics?sort_by=win_rate&days=1' });
    expect(response.statusCode).toBe(200);
    const body = response.json<{
      leaderboard: Array<{ team_id: string; rank: number; win_rate: number | null; total_trades: number }>;
      sort_by: string;
      calculation_period_days: number;
    }>();
    expect(body.sort_by).toBe('win_rate');
    expect(body.calculation_period_days).toBe(1);
    expect(body.leaderboard.map((entry) => [entry.rank, entry.team_id, entry.win_rate, entry.total_trades])).toEqual([
      [1, 'alpha', 1, 1],
      [2, 'beta', null, 0],
    ]);
    const error = await api.app.inject({ url: '/api/v1/leaderboard/metrics?sort_by=luck' });
    expect(error.statusCode).toBe(400);
    expect(error.json()).toMatchObject({ error: expect.any(String) as unknown, message: expect.any(String) as unknown });
  });

  it('serves metrics at full precision on /leaderboard, /api/v1/leaderboard/metrics and the team metrics (no rounding to 6 decimals)', async () => {
    // alpha's return over its snapshots is 100,360 / 100,180 − 1 = 0.00179676...; rounded to 6 decimals it was 0.001797.
    const decimals = (value: unknown) => (typeof value === 'number' ? (String(value).split('.')[1] ?? '').length : 0);
    const board = (await api.app.inject({ url: '/leaderboard' })).json<LeaderboardView>();
    const metrics = (await api.app.inject({ url: '/api/v1/leaderboard/metrics?days=1' })).json<LeaderboardView>();
    const team = (await api.app.inject({ url: '/api/v1/team/alpha/metrics', headers: bearer(alphaKey) })).json<{ metrics: Record<string, unknown> }>();
    for (const alpha of [board.leaderboard.find((entry) => entry.team_id === 'alpha')!, metrics.leaderboard.find((entry) => entry.team_id === 'alpha')!, team.metrics]) {
      expect(decimals(alpha.total_return)).toBeGreaterThan(6);
      expect(decimals(alpha.annualized_volatility)).toBeGreaterThan(6);
      expect(alpha.total_return_percentage).toBe((alpha.total_return as number) * 100);
    }
    expect(team.metrics.total_return).toBeCloseTo(100_360 / 100_180 - 1, 15);
  });

  it('GET /activity/recent returns entries with the original {timestamp, message} and the event', async () => {
    await publishActivity(
      world.redis,
      { type: 'trade', at: MINUTE, teamId: 'alpha', symbol: 'SPY', side: 'buy', quantity: 100, price: 100, clientOrderId: 'x' },
      world.keys.activityStream,
    );
    const body = (await api.app.inject({ url: '/activity/recent?limit=1' })).json<{ activity: Array<Record<string, unknown>> }>();
    expect(body.activity).toEqual([
      {
        id: expect.stringMatching(/^\d+-\d+$/) as unknown,
        timestamp: new Date(MINUTE).toISOString(),
        type: 'trade',
        message: 'alpha bought 100 SPY at $100.00',
        event: expect.objectContaining({ teamId: 'alpha' }) as unknown,
      },
    ]);
  });

  it('unknown paths stay 404 and static routes win over /{team_key}', async () => {
    expect((await api.app.inject({ url: '/favicon.ico' })).json()).toEqual({ error: 'not_found', message: 'no route for GET /favicon.ico' });
    expect((await api.app.inject({ url: '/leaderboard' })).statusCode).toBe(200);
    expect((await api.app.inject({ url: '/docs/json' })).statusCode).toBe(200);
  });
});

describe('team routes', () => {
  const teamRoutes = ['history', 'metrics', 'trades', 'orders', 'strategy', 'logs'];

  it.each(teamRoutes)('/api/v1/team/{id}/%s: own key 200, other team 403, no key 401, admin 200', async (route) => {
    const url = `/api/v1/team/alpha/${route}`;
    expect((await api.app.inject({ url, headers: bearer(alphaKey) })).statusCode).toBe(200);
    expect((await api.app.inject({ url: `${url}?key=${alphaKey}` })).statusCode).toBe(200);
    const other = await api.app.inject({ url, headers: bearer(betaKey) });
    expect(other.statusCode).toBe(403);
    expect(other.json()).toMatchObject({ error: 'forbidden' });
    const none = await api.app.inject({ url });
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: 'unauthorized' });
    expect((await api.app.inject({ url, headers: bearer(ADMIN_KEY) })).statusCode).toBe(200);
  });

  it('history, metrics, trades and orders carry the original fields', async () => {
    const get = async (route: string) => (await api.app.inject({ url: `/api/v1/team/alpha/${route}`, headers: bearer(alphaKey) })).json<Record<string, unknown>>();
    expect(await get('history?limit=1')).toEqual({
      team_id: 'alpha',
      days: 7,
      data_points: 1,
      history: [{ timestamp: new Date(MINUTE + 5 * 60_000).toISOString(), value: 100_360 }],
    });
    const metrics = (await get('metrics')) as { metrics: Record<string, unknown> };
    expect(metrics.metrics).toMatchObject({ total_trades: 1, winning_trades: 1, losing_trades: 0, current_value: 100_360, starting_value: 100_180, max_drawdown: null });
    expect(metrics.metrics.period).toMatchObject({ data_points: 4 });
    const trades = (await get('trades')) as { count: number; trades: Array<Record<string, unknown>> };
    expect(trades.count).toBe(2);
    expect(trades.trades[0]).toMatchObject({
      team_id: 'alpha',
      side: 'sell',
      symbol: 'SPY',
      quantity: '40',
      execution_price: '103.0000',
      requested_price: '103.0000',
      order_type: 'market',
      realized_pnl: '120.0000',
    });
    const orders = (await get('orders?limit=1')) as { count: number; next_offset: number | null; orders: Array<Record<string, unknown>> };
    expect(orders).toMatchObject({ count: 1, next_offset: 1, orders: [{ side: 'sell', quantity: 40, status: 'filled' }] });
    const strategy = await get('strategy');
    expect(strategy).toMatchObject({ team_id: 'alpha', active_version: null, last_error: null, quarantine: { quarantined: false }, halted: null });
  });

  it('GET /line/{team_key} and GET /{team_key} answer for the key in the path', async () => {
    const line = await api.app.inject({ url: `/line/${alphaKey}` });
    expect(line.statusCode).toBe(200);
    expect(line.json()).toEqual({
      team_id: 'alpha',
      snapshot: {
        timestamp: new Date(MINUTE + 5 * 60_000).toISOString(),
        cash: 94_120,
        market_value: 100_360,
        positions: { SPY: { quantity: 60, value: 6_240, price: 104, cost_basis: 6_000 } },
      },
      metrics: { total_trades: 2 },
    });
    const text = await api.app.inject({ url: `/${alphaKey}` });
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expect(text.body).toBe('alpha | Cash: $94,120.00 | Portfolio Value: $100,360.00 | Positions: [["SPY", $6,240.00, 60]]\n');
    expect((await api.app.inject({ url: `/line/${alphaKey.slice(0, -2)}xx` })).statusCode).toBe(401);
    expect((await api.app.inject({ url: `/line/${ADMIN_KEY}` })).statusCode).toBe(404);
  });
});

describe('admin routes', () => {
  it('refuse a team key (403) and no key (401)', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/admin/ticks'],
      ['GET', '/api/v1/admin/halts'],
      ['POST', '/api/v1/admin/halt'],
      ['POST', '/api/v1/admin/teams/alpha/rollback'],
      ['GET', '/api/v1/admin/reconciliation'],
    ] as const) {
      expect((await api.app.inject({ method, url, headers: bearer(alphaKey), payload: {} })).statusCode).toBe(403);
      expect((await api.app.inject({ method, url, payload: {} })).statusCode).toBe(401);
    }
  });

  it('halt and resume a team and the competition', async () => {
    const admin = bearer(ADMIN_KEY);
    const halted = await api.app.inject({ method: 'POST', url: '/api/v1/admin/teams/beta/halt', headers: admin, payload: { reason: 'too many rejected orders' } });
    expect(halted.statusCode).toBe(200);
    expect(halted.json()).toMatchObject({ changed: true, announced: true, halt: { reason: 'too many rejected orders', halted_by: expect.stringMatching(/^admin/) as unknown } });
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/halt', headers: admin, payload: { reason: 'maintenance' } })).statusCode).toBe(200);
    const state = (await api.app.inject({ url: '/api/v1/admin/halts', headers: admin })).json<{ competition: { reason: string }; teams: Record<string, unknown> }>();
    expect(state.competition.reason).toBe('maintenance');
    expect(Object.keys(state.teams)).toEqual(['beta']);
    const strategy = (await api.app.inject({ url: '/api/v1/team/beta/strategy', headers: bearer(betaKey) })).json<{ halted: { scope: string } }>();
    expect(strategy.halted.scope).toBe('team');
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/resume', headers: admin })).json()).toMatchObject({ changed: true });
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/teams/beta/resume', headers: admin })).json()).toMatchObject({ changed: true });
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/teams/nobody/halt', headers: admin, payload: { reason: 'x' } })).statusCode).toBe(404);
    // No reason is allowed (a default is recorded: admin-console.test.ts); an empty one is not.
    expect((await api.app.inject({ method: 'POST', url: '/api/v1/admin/halt', headers: admin, payload: { reason: '' } })).statusCode).toBe(400);
  });

  it('ticks, reconciliation, rollback and sync answer', async () => {
    const admin = bearer(ADMIN_KEY);
    expect((await api.app.inject({ url: '/api/v1/admin/ticks', headers: admin })).json()).toEqual({ ticks: [] });
    const reconciliation = await api.app.inject({ url: '/api/v1/admin/reconciliation?audit=true', headers: admin });
    expect(reconciliation.json()).toEqual({ report: null, unattributed: [], audit: [] });
    const rollback = await api.app.inject({ method: 'POST', url: '/api/v1/admin/teams/alpha/rollback', headers: admin, payload: { version_id: 99 } });
    expect(rollback.statusCode).toBe(404);
    expect(rollback.json()).toMatchObject({ error: 'version_refused', message: 'team alpha has no version 99' });
    const sync = await api.app.inject({ method: 'POST', url: '/api/v1/admin/sync', headers: admin, payload: {} });
    expect(sync.statusCode).toBe(503);
    expect((await api.app.inject({ url: '/api/v1/admin/teams/alpha/versions', headers: admin })).json()).toEqual({ versions: [] });
  });
});

describe('OpenAPI', () => {
  it('serves a valid OpenAPI 3.1 document listing every API route', async () => {
    const response = await api.app.inject({ url: '/docs/json' });
    const document = response.json<{ openapi: string; paths: Record<string, unknown> }>();
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    for (const path of [
      '/leaderboard',
      '/api/v1/leaderboard/history',
      '/api/v1/leaderboard/metrics',
      '/activity/recent',
      '/activity/stream',
      '/line/{teamKey}',
      '/{teamKey}',
      '/api/v1/team/{id}/history',
      '/api/v1/team/{id}/metrics',
      '/api/v1/team/{id}/trades',
      '/api/v1/admin/halt',
      '/api/v1/admin/ticks',
    ]) {
      expect(Object.keys(document.paths)).toContain(path);
    }
    // /docs is the interactive page (tests/integration/api/admin-console.test.ts); /docs/json the document.
    expect((await api.app.inject({ url: '/docs' })).headers['content-type']).toBe('text/html; charset=utf-8');
  });
});

describe('rate limits', () => {
  it('answers 429 with {error, message} past the limit, counted in Redis across replicas', async () => {
    // Two replicas sharing one counter namespace (not the one of the other tests' app).
    const limits = { rateLimitPublicPerMinute: 3, rateLimitTeamPerMinute: 2 };
    const prefix = `${world.keys.activityStream}:limited:`;
    const limited = [await buildApiApp(world, limits, prefix), await buildApiApp(world, limits, prefix)];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await limited[i % 2]!.app.inject({ url: '/activity/recent', remoteAddress: '10.9.8.7' })).statusCode);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await limited[0]!.app.inject({ url: '/activity/recent', remoteAddress: '10.9.8.7' });
      expect(refused.json()).toMatchObject({ error: 'too_many_requests', message: expect.stringContaining('rate limit') as unknown });
      expect(refused.headers['retry-after']).toBeDefined();
      // Team routes count per key: another address with the same key shares the count.
      const team = [];
      for (let i = 0; i < 3; i += 1)
        team.push((await limited[0]!.app.inject({ url: '/api/v1/team/alpha/history', headers: bearer(alphaKey), remoteAddress: `10.0.0.${i}` })).statusCode);
      expect(team).toEqual([200, 200, 429]);
    } finally {
      await Promise.all(limited.map((app) => app.close()));
    }
  });
});
