// A shard's runs stored in several transactions at once (server/tick/shardStage.ts, storeRuns): here one
// team per transaction, so two teams make two. The minutes give what one transaction gives (tick.test.ts
// checks the same trades), and when one part fails (a trigger refuses beta's run of minute 1, once), the
// other part stays stored and the retried job stores only the missing run: nothing twice, nothing lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLedger } from '../../../server/ledger/ledger.ts';
import { selectRuns } from '../../../server/tick/tickStore.ts';
import { expectFourTraderMinutes, expectMinutesCompleted, minuteAt, startTickWorld, waitForTick, type TickFixture, type TickWorld } from './support.ts';

let world: TickWorld | undefined;
let fixture: TickFixture;
const TEAMS = ['alpha', 'beta'];

beforeAll(async () => {
  world = await startTickWorld({ teams: TEAMS }, { runsPerStore: 1 });
  fixture = world.fixture;
  // nextval is not undone by the rollback it causes, so the trigger refuses exactly one insert.
  await fixture.pool.query(`
    CREATE SEQUENCE refuse_once;
    CREATE FUNCTION refuse_beta_once() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.team_id = 'beta' AND NEW.minute = '${new Date(minuteAt(1)).toISOString()}'::timestamptz AND nextval('refuse_once') = 1 THEN
        RAISE EXCEPTION 'refused by the test';
      END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_beta_once BEFORE INSERT ON tick_team_runs FOR EACH ROW EXECUTE FUNCTION refuse_beta_once();`);
}, 60_000);

afterAll(async () => {
  await world?.close();
});

describe("a shard's runs stored in parts", () => {
  it('give the trades of one transaction, and a part that fails is stored by the retry alone', async () => {
    await expectMinutesCompleted(fixture, 4);

    // Each team's run was stored by a transaction of its own (a row's xmin is the transaction that wrote it).
    for (let index = 0; index < 4; index++) {
      const writers = await fixture.pool.query<{ xmin: string }>('SELECT xmin::text FROM tick_team_runs WHERE minute = $1', [new Date(minuteAt(index))]);
      expect(new Set(writers.rows.map((row) => row.xmin)).size).toBe(2);
    }

    // The refusal happened, in minute 1's first attempt, and its retry completed the minute.
    const refusals = await fixture.pool.query<{ last_value: string; is_called: boolean }>('SELECT last_value, is_called FROM refuse_once');
    expect(refusals.rows[0]).toMatchObject({ is_called: true });
    expect(Number(refusals.rows[0]!.last_value)).toBeGreaterThanOrEqual(1);
    expect((await waitForTick(fixture.pool, minuteAt(1))).attempts).toBeGreaterThanOrEqual(2);
    expect((await selectRuns(fixture.pool, minuteAt(1))).map((run) => run.teamId)).toEqual(['alpha', 'beta']);

    // The trades of tick.test.ts, and one call per minute: the retry did not run beta's strategy a second time.
    for (const teamId of TEAMS) await expectFourTraderMinutes(fixture.pool, teamId);
    expect(await createLedger(fixture.pool).auditBooks()).toEqual([]);
  }, 90_000);
});
