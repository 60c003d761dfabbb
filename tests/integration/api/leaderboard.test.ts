import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { haltCompetition, haltTeam, readHaltState, resumeCompetition, resumeTeam, HaltError } from '../../../server/control/halts.ts';
import { computeAndPublishLeaderboard, readCachedLeaderboard } from '../../../server/leaderboard/publish.ts';
import type { LeaderboardView } from '../../../server/leaderboard/view.ts';
import { decodeStreamEntry } from '../../../server/live/activity.ts';
import { MINUTE, openApiWorld, type ApiWorld } from './support.ts';

let world: ApiWorld;

beforeAll(async () => {
  world = await openApiWorld();
  await world.addTeam('alpha', 'Alpha Team');
  await world.addTeam('beta', 'Beta Team');
  await world.addTeam('gamma');
  // alpha holds 100 SPY bought at $100; beta sells nothing and holds cash; gamma buys and sells at a loss.
  await world.trade('alpha', 'buy', 'SPY', 100, 100, MINUTE);
  await world.trade('gamma', 'buy', 'SPY', 10, 100, MINUTE);
  await world.trade('gamma', 'sell', 'SPY', 10, 90, MINUTE + 60_000);
});
afterAll(async () => {
  await world.close();
});

async function activity(): Promise<ReturnType<typeof decodeStreamEntry>[]> {
  const entries = (await world.redis.xrange(world.keys.activityStream, '-', '+')) as Array<[string, string[]]>;
  return entries.map(decodeStreamEntry);
}

describe('computeAndPublishLeaderboard', () => {
  it('ranks teams by equity from their latest snapshot, caches the JSON, publishes it and appends an activity event', async () => {
    const subscriber = await world.openRedis();
    const messages: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(world.keys.leaderboardChannel);

    for (let i = 0; i < 5; i += 1) await world.snapshot(MINUTE + (i + 2) * 60_000, { SPY: 100 + i });
    const last = MINUTE + 6 * 60_000;
    const published = await computeAndPublishLeaderboard(world.pool, world.redis, last, { keys: world.keys });
    expect(published.newSnapshots).toBe(15);

    const view = published.view;
    expect(view.minute).toBe(new Date(last).toISOString());
    expect(view.leaderboard.map((entry) => [entry.rank, entry.team_id, entry.portfolio_value])).toEqual([
      [1, 'alpha', 100_400],
      [2, 'beta', 100_000],
      [3, 'gamma', 99_900],
    ]);
    const alpha = view.leaderboard[0]!;
    expect(alpha.name).toBe('Alpha Team');
    expect(alpha.sparkline).toEqual([100_000, 100_100, 100_200, 100_300, 100_400]);
    expect(alpha.total_return).toBeCloseTo(0.004, 10);
    expect(alpha.data_points).toBe(4);
    expect(alpha.max_drawdown).toBeNull();
    const gamma = view.leaderboard[2]!;
    expect(gamma.total_trades).toBe(1);
    expect(gamma.win_rate).toBe(0);
    expect(gamma.total_return).toBe(0); // the loss happened before its first snapshot

    expect(await readCachedLeaderboard(world.redis, world.keys)).toBe(published.json);
    await expect.poll(() => messages.length).toBe(1);
    expect(JSON.parse(messages[0]!) as LeaderboardView).toEqual(view);
    const events = await activity();
    expect(events.at(-1)?.event).toMatchObject({ type: 'leaderboard', minute: last, top: [{ rank: 1, teamId: 'alpha', equity: 100_400 }, { rank: 2 }, { rank: 3 }] });
  });

  it('takes each snapshot once: a repeated call for the same minute changes no metric', async () => {
    const last = MINUTE + 6 * 60_000;
    const before = JSON.parse((await readCachedLeaderboard(world.redis, world.keys))!) as LeaderboardView;
    const again = await computeAndPublishLeaderboard(world.pool, world.redis, last, { keys: world.keys });
    expect(again.newSnapshots).toBe(0);
    expect(again.view.leaderboard).toEqual(before.leaderboard);
  });

  it('follows a falling market into drawdown and never goes back to an older minute', async () => {
    await world.snapshot(MINUTE + 7 * 60_000, { SPY: 95 });
    const concurrent = await Promise.all([
      computeAndPublishLeaderboard(world.pool, world.redis, MINUTE + 7 * 60_000, { keys: world.keys }),
      computeAndPublishLeaderboard(world.pool, world.redis, MINUTE + 7 * 60_000, { keys: world.keys }),
    ]);
    expect(concurrent.map((result) => result.newSnapshots).sort()).toEqual([0, 3]);
    const older = await computeAndPublishLeaderboard(world.pool, world.redis, MINUTE + 3 * 60_000, { keys: world.keys });
    expect(older.view.minute).toBe(new Date(MINUTE + 7 * 60_000).toISOString());
    const alpha = older.view.leaderboard.find((entry) => entry.team_id === 'alpha')!;
    expect(alpha.portfolio_value).toBe(99_500);
    expect(alpha.max_drawdown).toBeCloseTo(-(1 - 99_500 / 100_400), 5);
    expect(alpha.current_drawdown).toBeCloseTo(alpha.max_drawdown!, 10);
    expect(alpha.rank).toBe(3);
  });
});

describe('halts', () => {
  const deps = () => ({ pg: world.pool, redis: world.redis, activityStream: world.keys.activityStream });

  it('holds a competition halt and team halts in Postgres, audited and announced', async () => {
    expect(await readHaltState(world.pool)).toEqual({ competition: null, teams: new Map() });
    const halted = await haltTeam(deps(), 'beta', { reason: 'investigating fills', actor: 'admin:test' });
    expect(halted).toMatchObject({ changed: true, announced: true, halt: { reason: 'investigating fills', haltedBy: 'admin:test' } });
    expect((await haltTeam(deps(), 'beta', { reason: 'again', actor: 'admin:test' })).changed).toBe(false);
    await haltCompetition(deps(), { reason: 'market data outage', actor: 'admin:test' });

    const state = await readHaltState(world.pool);
    expect(state.competition?.reason).toBe('market data outage');
    expect([...state.teams.keys()]).toEqual(['beta']);

    const board = await computeAndPublishLeaderboard(world.pool, world.redis, MINUTE + 7 * 60_000, { keys: world.keys });
    expect(board.view.competition_halted).toBe(true);
    expect(board.view.leaderboard.find((entry) => entry.team_id === 'beta')?.halted).toBe(true);

    expect((await resumeCompetition(deps(), 'admin:test')).changed).toBe(true);
    expect((await resumeTeam(deps(), 'beta', 'admin:test')).changed).toBe(true);
    expect(await readHaltState(world.pool)).toEqual({ competition: null, teams: new Map() });

    const { rows } = await world.pool.query<{ kind: string; subject: string | null }>(
      `SELECT kind, subject FROM audit_events WHERE kind IN ('team.halted', 'team.resumed', 'competition.halted', 'competition.resumed') ORDER BY id`,
    );
    expect(rows).toEqual([
      { kind: 'team.halted', subject: 'beta' },
      { kind: 'competition.halted', subject: null },
      { kind: 'competition.resumed', subject: null },
      { kind: 'team.resumed', subject: 'beta' },
    ]);
    const types = (await activity()).map((entry) => entry?.event.type).filter((type) => type !== 'leaderboard');
    expect(types).toEqual(['team_halted', 'competition_halted', 'competition_resumed', 'team_resumed']);
  });

  it('refuses unknown teams and empty reasons', async () => {
    await expect(haltTeam(deps(), 'nobody', { reason: 'x', actor: 'a' })).rejects.toMatchObject({ statusCode: 404 });
    await expect(haltCompetition(deps(), { reason: '  ', actor: 'a' })).rejects.toBeInstanceOf(HaltError);
  });
});
