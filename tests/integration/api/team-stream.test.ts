/**
 * Events that reach people: the per-type activity histories behind /activity/recent, a team's own
 * authenticated stream (its trades, rejections, errors, halts, versions and minutes; resumable), and
 * version_activated / version_rejected published once for every version any process records.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordVersion, rollbackToVersion, type NewVersion } from '../../../loaders/activation/index.ts';
import { publishActivities, publishActivity } from '../../../server/live/activity.ts';
import type { ActivityEvent } from '../../../server/live/events.ts';
import { buildApiApp, openSse, type ApiApp, type SseConnection } from './app.ts';
import { MINUTE, openApiWorld, type ApiWorld } from './support.ts';

let world: ApiWorld;
let replicas: ApiApp[];
let alphaKey: string;
let betaKey: string;

const trade = (teamId: string, quantity: number): ActivityEvent => ({
  type: 'trade',
  at: MINUTE,
  teamId,
  symbol: 'SPY',
  side: 'buy',
  quantity,
  price: 100,
  clientOrderId: `c-${teamId}-${quantity}`,
});
const publish = (event: ActivityEvent) => publishActivity(world.redis, event, world.keys.activityStream);
const tick = (minute: number): ActivityEvent => ({ type: 'tick', at: minute + 2_000, minute, teams: 2, durationMs: 12, stages: { strategies: 3 } });
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const sha = (n: number) => n.toString(16).padStart(40, 'a');

function version(teamId: string, n: number, ok: boolean): NewVersion {
  return {
    teamId,
    commit: { sha: sha(n), authorName: 'Ada', authorEmail: 'ada@example.org', committedAt: new Date('2025-01-02T03:04:05Z'), message: `commit ${n}\n\nthe long story` },
    source: { repo: 'https://example.org/a.git', branch: 'main', path: '.', entry: null },
    timings: { check: 1 },
    outcome: ok
      ? { ok: true, compiled: { code: `/* v${n} */`, sourceMap: '{}', filename: 'strategy.bundle.js' } }
      : {
          ok: false,
          stage: 'check',
          findings: [1, 2, 3, 4].map((line) => ({
            file: 'strategy.ts',
            line,
            column: 5,
            rule: 'types',
            message: `Type '"hold"' is not assignable to type '"buy" | "sell"'. ${'x'.repeat(line === 1 ? 2_000 : 0)}`,
          })),
          error: null,
        },
  };
}

beforeAll(async () => {
  world = await openApiWorld();
  await world.addTeam('alpha');
  await world.addTeam('beta');
  replicas = [await buildApiApp(world, { sseHeartbeatMs: 200 }), await buildApiApp(world, { sseHeartbeatMs: 200 })];
  await Promise.all(replicas.map((replica) => replica.listen()));
  alphaKey = (await replicas[0]!.keys.issue('alpha', 'test')).key;
  betaKey = (await replicas[0]!.keys.issue('beta', 'test')).key;
});
afterAll(async () => {
  await Promise.all(replicas.map((replica) => replica.close()));
  await world.close();
});

describe('GET /activity/recent keeps a history per type', () => {
  it('ticks and leaderboard updates never push trades out; they stay out of the default list; ?type= picks types', async () => {
    await publish(trade('alpha', 1));
    const housekeeping: ActivityEvent[] = [];
    for (let i = 0; i < 300; i += 1) {
      housekeeping.push(tick(MINUTE + i * 60_000), {
        type: 'leaderboard',
        at: MINUTE + i * 60_000,
        minute: MINUTE + i * 60_000,
        top: [{ rank: 1, teamId: 'alpha', equity: 100_000, totalReturn: 0 }],
      });
    }
    await publishActivities(world.redis, housekeeping, world.keys.activityStream);
    const api = replicas[0]!.app;
    const recent = (await api.inject({ url: '/activity/recent?limit=10' })).json<{ activity: Array<{ type: string; event: { quantity?: number } }> }>();
    expect(recent.activity.map((entry) => entry.type)).toEqual(['trade']);
    const ticks = (await api.inject({ url: '/activity/recent?limit=500&type=tick' })).json<{ activity: Array<{ type: string }> }>();
    expect(ticks.activity).toHaveLength(300);
    expect(new Set(ticks.activity.map((entry) => entry.type))).toEqual(new Set(['tick']));
    const both = (await api.inject({ url: '/activity/recent?limit=3&type=trade,leaderboard' })).json<{ activity: Array<{ type: string }> }>();
    expect(both.activity.map((entry) => entry.type)).toEqual(['leaderboard', 'leaderboard', 'leaderboard']);
    const unknown = await api.inject({ url: '/activity/recent?type=trade,gossip' });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<{ message: string }>().message).toContain('gossip');
  });

  it('clips every published text', async () => {
    await publish({ type: 'strategy_error', at: MINUTE, teamId: 'beta', kind: 'runtime', message: `boom ${'!'.repeat(100_000)}\u0000` });
    const recent = (await replicas[0]!.app.inject({ url: '/activity/recent?limit=1&type=strategy_error' })).json<{
      activity: Array<{ message: string; event: { message: string } }>;
    }>();
    const event = recent.activity[0]!.event;
    expect(event.message.length).toBeLessThan(600);
    expect(event.message).toMatch(/…\[truncated\]$/);
    expect(event.message).not.toContain('\u0000');
  });
});

describe('GET /api/v1/team/{id}/stream', () => {
  const streamUrl = (replica: number, team = 'alpha') => `${replicas[replica]!.url}/api/v1/team/${team}/stream`;

  it('needs the team key (Bearer or ?key=): 401 without, 403 for another team', async () => {
    const api = replicas[0]!.app;
    expect((await api.inject({ url: '/api/v1/team/alpha/stream' })).statusCode).toBe(401);
    expect((await api.inject({ url: '/api/v1/team/alpha/stream', headers: bearer(betaKey) })).statusCode).toBe(403);
    const viaQuery = await openSse(`${streamUrl(0)}?key=${encodeURIComponent(alphaKey)}`);
    expect(viaQuery.status).toBe(200);
    viaQuery.close();
  });

  it("carries the team's own events and the competition's halts, never another team's; then its minutes with equity, CPU and logs", async () => {
    const client = await openSse(streamUrl(1), bearer(alphaKey));
    try {
      expect(client.status).toBe(200);
      await publish(trade('beta', 5));
      await publish({ type: 'order_rejected', at: MINUTE, teamId: 'alpha', symbol: 'QQQ', code: 'insufficient_shares', message: 'holds 0 QQQ' });
      await publish(trade('alpha', 7));
      await publish({ type: 'competition_halted', at: MINUTE, reason: 'maintenance' });
      await publish({ type: 'strategy_error', at: MINUTE, teamId: 'alpha', kind: 'runtime', message: 'x is undefined' });
      await expect.poll(() => client.events.length).toBe(4);
      expect(client.events.map((event) => event.data.type)).toEqual(['order_rejected', 'trade', 'competition_halted', 'strategy_error']);
      expect(client.events[1]!.data).toMatchObject({ message: 'alpha bought 7 SPY at $100.00', event: { teamId: 'alpha', quantity: 7 } });

      // A minute: the books marked and the strategy run stored, then the tick event.
      const minute = MINUTE + 3 * 60_000;
      await world.snapshot(minute, {});
      await world.pool.query(
        `INSERT INTO ticks (minute, status, shards, clock, source, bar_hash, bars, prices, teams) VALUES ($1, 'completed', 1, 'simulated', 'test', $2, '{}', '{}', '[]')`,
        [new Date(minute), 'f'.repeat(64)],
      );
      await world.pool.query(`INSERT INTO tick_team_runs (minute, team_id, shard, worker, cpu_ms, wall_ms, logs, error) VALUES ($1, 'alpha', 0, 'w', 4.5, 5, $2, $3)`, [
        new Date(minute),
        JSON.stringify([
          { level: 'info', message: 'fast SMA 101.2' },
          { level: 'warn', message: 'y'.repeat(5_000) },
        ]),
        JSON.stringify({ kind: 'runtime', message: 'boom' }),
      ]);
      const tickId = await publish(tick(minute));
      await expect.poll(() => client.events.length).toBe(5);
      const last = client.events[4]!;
      expect(last.id).toBe(tickId);
      expect(last.data).toMatchObject({
        type: 'minute',
        event: { teamId: 'alpha', minute, equity: 100_000, cash: 100_000, cpuMs: 4.5, error: { kind: 'runtime', message: 'boom' } },
      });
      const logs = (last.data.event as { logs: Array<{ level: string; message: string }> }).logs;
      expect(logs[0]).toEqual({ level: 'info', message: 'fast SMA 101.2' });
      expect(logs[1]!.message.length).toBeLessThan(1_100);
      await expect.poll(() => client.comments.includes('heartbeat')).toBe(true);
    } finally {
      client.close();
    }
  });

  it('resumes after Last-Event-ID from the team history, minutes included, then goes on live', async () => {
    const first = await publish(trade('alpha', 20));
    await publish(trade('beta', 21));
    const missed = await publish(trade('alpha', 22));
    const minute = MINUTE + 4 * 60_000;
    await world.snapshot(minute, {});
    const missedTick = await publish(tick(minute));
    const client = await openSse(streamUrl(0), { ...bearer(alphaKey), 'last-event-id': first });
    try {
      await expect.poll(() => client.events.length).toBe(2);
      expect(client.events.map((event) => event.id)).toEqual([missed, missedTick]);
      expect(client.events[1]!.data).toMatchObject({ type: 'minute', event: { minute, cpuMs: null, equity: 100_000 } });
      const live = await publish(trade('alpha', 23));
      await expect.poll(() => client.events.length).toBe(3);
      expect(client.events[2]!.id).toBe(live);
    } finally {
      client.close();
    }
    expect((await replicas[0]!.app.inject({ url: '/api/v1/team/alpha/stream', headers: { ...bearer(alphaKey), 'last-event-id': 'soon' } })).statusCode).toBe(400);
  });
});

describe('version events', () => {
  async function waitForVersionEvents(client: SseConnection, count: number) {
    await expect.poll(() => client.events.filter((event) => event.data.type.startsWith('version_')).length, { timeout: 10_000 }).toBe(count);
    return client.events.filter((event) => event.data.type.startsWith('version_'));
  }

  it('announces every activation, rejection (with its first findings, to the team only) and rollback once, whichever replica hears it', async () => {
    const team = await openSse(`${replicas[0]!.url}/api/v1/team/beta/stream`, bearer(betaKey));
    const publicStream = await openSse(`${replicas[1]!.url}/activity/stream`);
    try {
      const good = await recordVersion(world.pool, version('beta', 1, true));
      await recordVersion(world.pool, version('beta', 2, false));
      await recordVersion(world.pool, version('beta', 3, true));
      await rollbackToVersion(world.pool, 'beta', { versionId: good.version.id }, 'admin:test');
      // Replicas publish the notices they win: ones recorded within milliseconds may arrive in either order.
      const order = (event: SseConnection['events'][number]) => `${String(event.data.event.versionId)}:${String(event.data.event.via)}`;
      const events = (await waitForVersionEvents(team, 4)).sort((a, b) => order(a).localeCompare(order(b)));
      expect(events.map((event) => event.data.event)).toMatchObject([
        { type: 'version_activated', teamId: 'beta', commit: sha(1), message: 'commit 1', via: 'push' },
        { type: 'version_activated', commit: sha(1), via: 'rollback' },
        { type: 'version_rejected', teamId: 'beta', commit: sha(2), stage: 'check', findingsCount: 4, reason: 'rejected at the check stage: 4 findings' },
        { type: 'version_activated', commit: sha(3), via: 'push' },
      ]);
      const rejected = events[2]!.data.event as { findings: Array<{ file: string; line: number; column: number; rule: string; message: string }> };
      expect(rejected.findings).toHaveLength(3);
      expect(rejected.findings[0]).toMatchObject({ file: 'strategy.ts', line: 1, column: 5, rule: 'types' });
      expect(rejected.findings[0]!.message.length).toBeLessThan(600);
      expect(events[2]!.data.message).toBe(`beta: version ${sha(2).slice(0, 12)} rejected at the check stage: 4 findings`);

      // The public sees the same four events, once each (two replicas listened), without the findings.
      const seen = await waitForVersionEvents(publicStream, 4);
      expect(seen.map((event) => event.id).sort()).toEqual(events.map((event) => event.id).sort());
      const publicRejection = seen.find((event) => event.data.type === 'version_rejected')!;
      expect(publicRejection.data.event).not.toHaveProperty('findings');
      expect(publicRejection.data.event).toMatchObject({ findingsCount: 4 });
      await new Promise((resolve) => setTimeout(resolve, 300));
      const recent = (await replicas[1]!.app.inject({ url: '/activity/recent?type=version_activated,version_rejected' })).json<{ activity: unknown[] }>();
      expect(recent.activity).toHaveLength(4);
    } finally {
      team.close();
      publicStream.close();
    }
  });

  it('listens again after Postgres drops the listening connection', async () => {
    const team = await openSse(`${replicas[0]!.url}/api/v1/team/alpha/stream`, bearer(alphaKey));
    try {
      const listeners = `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN qtc_strategy_version_event%'`;
      const before = (await world.pool.query<{ pid: number }>(listeners)).rows.map((row) => row.pid);
      expect(before).toHaveLength(2);
      await world.pool.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]);
      // Both replicas listen again, on new connections.
      await expect.poll(async () => (await world.pool.query<{ pid: number }>(listeners)).rows.filter((row) => !before.includes(row.pid)).length, { timeout: 10_000 }).toBe(2);
      await recordVersion(world.pool, version('alpha', 9, true));
      await waitForVersionEvents(team, 1);
    } finally {
      team.close();
    }
  });
});
