import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../server/config/config.ts';
import { clipEvent } from '../../../server/live/clip.ts';
import { describeActivity } from '../../../server/live/format.ts';
import { waitForSeasonStart, type TeamReadiness } from '../../../server/scheduler/startGate.ts';

/** A gate on a fake clock: each read of the teams advances time by `pollMs` (the gate's sleeps are real but tiny). */
function fakeWorld(states: (read: number) => Record<string, Partial<TeamReadiness>>) {
  let clock = 1_000_000;
  let reads = 0;
  const warnings: unknown[] = [];
  const log = { info: () => undefined, warn: (fields: unknown) => warnings.push(fields) } as never;
  return {
    warnings,
    reads: () => reads,
    now: () => clock,
    advance: (ms: number) => (clock += ms),
    readiness: (teamIds: readonly string[]) => {
      const current = states(reads++);
      clock += 100;
      return Promise.resolve(new Map(teamIds.map((id) => [id, { active: current[id]?.active ?? false, settled: current[id]?.settled ?? current[id]?.active ?? false }])));
    },
    log,
  };
}

describe('the season start gate', () => {
  it('starts as soon as every enabled team has an active version', async () => {
    const world = fakeWorld((read) => ({ a: { active: true }, b: { active: read >= 3 } }));
    const start = await waitForSeasonStart({
      startAt: undefined,
      timeoutMs: 120_000,
      pollMs: 1,
      enabledTeams: () => ['a', 'b'],
      readiness: world.readiness,
      now: world.now,
      log: world.log,
    });
    expect(start).toMatchObject({ reason: 'teams_ready', late: [] });
    expect(world.reads()).toBe(4);
    expect(world.warnings).toEqual([]);
  });

  it('starts after the timeout anyway and names the late teams', async () => {
    const world = fakeWorld(() => ({ a: { active: true } }));
    const start = await waitForSeasonStart({
      startAt: undefined,
      timeoutMs: 1_000,
      pollMs: 1,
      enabledTeams: () => ['c', 'a', 'b'],
      readiness: world.readiness,
      now: world.now,
      log: world.log,
    });
    expect(start.reason).toBe('timeout');
    expect(start.late).toEqual(['b', 'c']);
    expect(start.waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(world.warnings).toEqual([expect.objectContaining({ reason: 'timeout', late: ['b', 'c'] })]);
  });

  it('does not wait for a team whose commit was already refused (settled, but late)', async () => {
    const world = fakeWorld(() => ({ a: { active: true }, broken: { active: false, settled: true } }));
    const start = await waitForSeasonStart({
      startAt: undefined,
      timeoutMs: 120_000,
      pollMs: 1,
      enabledTeams: () => ['a', 'broken'],
      readiness: world.readiness,
      now: world.now,
      log: world.log,
    });
    expect(start).toMatchObject({ reason: 'teams_ready', late: ['broken'] });
    expect(world.reads()).toBe(1);
  });

  it('starts at once with a zero timeout, or without enabled teams', async () => {
    const world = fakeWorld(() => ({}));
    expect(await waitForSeasonStart({ startAt: undefined, timeoutMs: 0, enabledTeams: () => ['a'], readiness: world.readiness, now: world.now })).toMatchObject({
      reason: 'timeout',
      late: ['a'],
    });
    expect(await waitForSeasonStart({ startAt: undefined, timeoutMs: 120_000, enabledTeams: () => [], readiness: world.readiness, now: world.now })).toMatchObject({
      reason: 'teams_ready',
      late: [],
    });
  });

  it('starts at SEASON_START_AT whatever the teams, naming those not ready', async () => {
    let clock = Date.now();
    const startAt = clock + 30;
    const start = await waitForSeasonStart({
      startAt,
      timeoutMs: 0,
      enabledTeams: () => ['a', 'b'],
      readiness: () => Promise.resolve(new Map([['a', { active: true, settled: true }]])),
      now: () => (clock = Date.now()),
    });
    expect(start).toMatchObject({ reason: 'start_time', late: ['b'] });
    expect(clock).toBeGreaterThanOrEqual(startAt);
  });

  it('stops waiting when the scheduler stops', async () => {
    const abort = new AbortController();
    const waiting = waitForSeasonStart({
      startAt: undefined,
      timeoutMs: 120_000,
      pollMs: 10,
      enabledTeams: () => ['a'],
      readiness: () => Promise.resolve(new Map()),
      signal: abort.signal,
    });
    setTimeout(() => abort.abort(), 30);
    await expect(waiting).rejects.toThrow();
  });

  it('announces the start on the activity stream, naming the late teams', () => {
    expect(describeActivity({ type: 'season_started', at: 0, clock: 'replay', reason: 'timeout', waitedMs: 120_000, late: ['b', 'c'] })).toBe(
      'season started after waiting 120 s without an active strategy for b, c',
    );
    expect(describeActivity({ type: 'season_started', at: 0, clock: 'simulated', reason: 'teams_ready', waitedMs: 3_000, late: [] })).toBe(
      'season started: every team has an active strategy',
    );
    const many = clipEvent({ type: 'season_started', at: 0, clock: 'replay', reason: 'timeout', waitedMs: 1, late: Array.from({ length: 80 }, (_, i) => `team-${i}`) });
    expect(many.type === 'season_started' && many.late.length).toBe(50);
  });

  it('is configured by SEASON_START_AT and SEASON_START_TIMEOUT_MS (default 120 s)', () => {
    expect(loadConfig({}).tick).toMatchObject({ seasonStartAt: undefined, seasonStartTimeoutMs: 120_000 });
    expect(loadConfig({ SEASON_START_AT: '2026-12-03T18:00:00Z', SEASON_START_TIMEOUT_MS: '0' }).tick).toMatchObject({
      seasonStartAt: Date.parse('2026-12-03T18:00:00Z'),
      seasonStartTimeoutMs: 0,
    });
    expect(() => loadConfig({ SEASON_START_TIMEOUT_MS: '-1' })).toThrow(/SEASON_START_TIMEOUT_MS must be a whole number/);
    expect(() => loadConfig({ SEASON_START_AT: 'soon' })).toThrow(/SEASON_START_AT must be an ISO time/);
  });
});
