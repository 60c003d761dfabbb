// One hostile team among ordinary teams, through the real server path: a tick worker, its sandbox
// child, Postgres and Redis. The ordinary teams' runs, orders, fills, books, memory and snapshots
// must be exactly what they are in the same season without the attacker; every minute completes;
// the attacker gets its errors, bounded and storable, where it can read them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, connectRedis, type RedisClient } from '../../data/redis/client.ts';
import { isStorableText } from '../../sandbox/safeText.ts';
import { decodeStreamEntry } from '../../server/live/activity.ts';
import { recentTeamRuns, selectRuns } from '../../server/tick/tickStore.ts';
import type { RunningWorker } from '../../server/worker/worker.ts';
import { bundle, createTickFixture, enqueueMinute, minuteAt, startFixtureWorker, teamTruth, waitForTick, type TickFixture } from '../integration/tick/support.ts';

const ORDINARY = ['alpha', 'beta', 'gamma'];
const MINUTES = 7;

/** A different attack every minute; the realm stays tampered with after the toJSON one. */
const HOSTILE = bundle(`
class Strategy {
  constructor() { this.calls = 0; this.hoard = []; }
  generateSignal(team) {
    this.calls += 1;
    switch (this.calls) {
      case 1:
        console.log('nul \\u0000 here', 'lone \\ud800 surrogate', '\\udfff');
        console.error(new Error('err \\u0000'));
        return { symbol: 'SPY', action: 'buy', quantity: 1, reason: 'reason \\u0000 \\ud800' };
      case 2:
        throw new Error('boom \\u0000 \\ud800 ' + 'x'.repeat(1000000));
      case 3: {
        const e = new Error('stack');
        e.stack = 'Error: stack\\n' + Array.from({ length: 40 }, () => '    at ' + 'a'.repeat(40000) + ':1').join('\\n');
        throw e;
      }
      case 4:
        team.memory.bad = 'memory \\u0000';
        team.memory['key \\ud800'] = 1;
        return null;
      case 5:
        // Intl objects keep ICU memory outside the V8 heap.
        for (let i = 0; i < 200; i++) this.hoard.push(new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', dateStyle: 'full' }));
        team.memory.ok = true;
        return null;
      case 6:
        Object.prototype.toJSON = function () { return { kind: 'crashed', message: 'y'.repeat(1000000) }; };
        Array.prototype.toJSON = function () { return Array.from({ length: 100000 }, () => ({ level: 'log', message: 'forged' })); };
        for (let i = 0; i < 200; i++) console.log('line ' + i + ' ' + 'z'.repeat(500));
        throw { kind: 'crashed', message: 'forged kind', toString() { return 'forged \\u0000'; } };
      default:
        console.log('still here');
        return { symbol: 'SPY', action: 'buy', quantity: 1, reason: 'after toJSON' };
    }
  }
}`);

interface Season {
  fixture: TickFixture;
  redis: RedisClient;
  worker: RunningWorker;
}

async function startSeason(teams: string[]): Promise<Season> {
  const fixture = await createTickFixture({ teams, strategies: { hostile: HOSTILE } });
  const redis = createRedis(fixture.redisUrl);
  await connectRedis(redis, 5_000);
  const worker = await startFixtureWorker(fixture, redis);
  return { fixture, redis, worker };
}

async function stopSeason(season: Season | undefined): Promise<void> {
  if (season === undefined) return;
  await season.worker.stop();
  season.redis.disconnect();
  await season.fixture.close();
}

async function ordinaryView(season: Season) {
  const pool = season.fixture.pool;
  const truths = await Promise.all(ORDINARY.map((teamId) => teamTruth(pool, teamId, 100_000)));
  const snapshots = await pool.query<{ team_id: string; minute: Date; equity: string }>(
    'SELECT team_id, minute, equity::text FROM equity_snapshots WHERE team_id = ANY($1) ORDER BY minute, team_id',
    [ORDINARY],
  );
  const runs = [];
  for (let index = 0; index < MINUTES; index++) {
    for (const run of await selectRuns(pool, minuteAt(index), ORDINARY))
      runs.push({ minute: run.minute, teamId: run.teamId, signals: run.signals, intents: run.intents, error: run.error, logs: run.logs });
  }
  return { truths, snapshots: snapshots.rows, runs };
}

let attacked: Season | undefined;
let alone: Season | undefined;

beforeAll(async () => {
  [attacked, alone] = await Promise.all([startSeason([...ORDINARY, 'hostile']), startSeason(ORDINARY)]);
  for (let index = 0; index < MINUTES; index++) {
    for (const season of [attacked, alone]) {
      await enqueueMinute(season.fixture, minuteAt(index));
      const tick = await waitForTick(season.fixture.pool, minuteAt(index), 120_000);
      expect(tick.status, `minute ${index}: ${JSON.stringify(tick.errors).slice(0, 500)}`).toBe('completed');
    }
  }
}, 600_000);

afterAll(async () => {
  await Promise.all([stopSeason(attacked), stopSeason(alone)]);
});

describe('a hostile team in a real season', () => {
  it('leaves every ordinary team exactly as it is without the attacker', async () => {
    if (attacked === undefined || alone === undefined) throw new Error('seasons not started');
    const [withAttacker, without] = await Promise.all([ordinaryView(attacked), ordinaryView(alone)]);
    expect(withAttacker.runs).toHaveLength(ORDINARY.length * MINUTES);
    expect(withAttacker.runs).toEqual(without.runs);
    expect(withAttacker.truths).toEqual(without.truths);
    expect(withAttacker.snapshots).toEqual(without.snapshots);
  });

  it('gives the attacker its own errors, storable and bounded, and nothing it can forge', async () => {
    if (attacked === undefined) throw new Error('season not started');
    const runs = (await recentTeamRuns(attacked.fixture.pool, 'hostile', MINUTES)).reverse();
    expect(runs.map((run) => run.minute)).toEqual(Array.from({ length: MINUTES }, (_, index) => minuteAt(index)));
    const texts = runs.flatMap((run) => [...run.logs.map((line) => line.message), run.error?.message ?? '', run.error?.stack ?? '', ...run.signals.map((s) => s.reason ?? '')]);
    expect(texts.every(isStorableText)).toBe(true);
    for (const run of runs) {
      expect(run.logs.reduce((sum, line) => sum + line.message.length, 0)).toBeLessThanOrEqual(8192 + 200);
      expect(run.logs.length).toBeLessThanOrEqual(51);
      expect((run.error?.message.length ?? 0) + (run.error?.stack?.length ?? 0)).toBeLessThanOrEqual(2000 + 8000 + 300);
      expect(['runtime', 'invalid-result', null]).toContain(run.error?.kind ?? null);
    }
    const [first, second, third, fourth] = runs;
    expect(first?.error).toBeNull();
    expect(first?.signals[0]?.reason).toBe('reason \uFFFD \uFFFD');
    expect(first?.logs[0]?.message).toBe('nul \uFFFD here lone \uFFFD surrogate \uFFFD');
    expect(second?.error?.message).toMatch(/^Error: boom \uFFFD \uFFFD x+…\[truncated\]/);
    expect(third?.error?.kind).toBe('runtime');
    expect(fourth?.error).toMatchObject({ kind: 'invalid-result', message: expect.stringMatching(/NUL character or an unpaired surrogate/) as unknown });
    // The memory that could not be stored was never stored; the attacker's last good memory was.
    const memory = await attacked.fixture.pool.query<{ memory: Record<string, unknown> }>('SELECT memory FROM team_memory WHERE team_id = $1', ['hostile']);
    expect(memory.rows[0]?.memory).toEqual({ ok: true });
    // The competition's random secret exists once, so every worker seeds Math.random alike.
    const secrets = await attacked.fixture.pool.query<{ value: string }>("SELECT value FROM competition_secrets WHERE name = 'random-seed'");
    expect(secrets.rows).toHaveLength(1);
    expect(secrets.rows[0]?.value).toMatch(/^[0-9a-f]{64}$/);
    // What the public sees of it is bounded too.
    const entries = await attacked.redis.xrange(`${attacked.fixture.redisPrefix}:activity`, '-', '+');
    for (const entry of entries) {
      const event = decodeStreamEntry(entry)?.event;
      expect(JSON.stringify(event ?? null).length).toBeLessThan(20_000);
    }
  });
});
