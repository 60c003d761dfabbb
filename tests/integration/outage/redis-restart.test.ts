// Issue 11: Redis restarted (3 s and 30 s) in the middle of a season ticked by two real `qtc worker`
// processes. The test runs its own throwaway embedded Redis (the shared test server is never stopped),
// plays the scheduler itself (season.ts), stops Redis while a minute is in flight, starts it again on the
// same port and data folder, and checks: no process exited, every minute ends completed or marked failed
// with its reason, the season completes minutes again afterwards, every stored intent became an order
// that left pending_submit, and every book equals its fills. No assertion depends on machine speed.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { EmbeddedService } from '../../../data/embedded/postgresCluster.ts';
import { startEmbeddedRedis } from '../../../data/embedded/redisServer.ts';
import { silentLog } from '../../support/silentLog.ts';
import { createTickFixture, startWorkerProcess, stopWorkerProcess, type TickFixture, type WorkerProcess } from '../tick/support.ts';
import { expectAlive, expectNothingLost, playSeason } from './season.ts';

const TEAMS = ['r-one', 'r-two', 'r-three', 'r-four'];
const MINUTES = 12;
/** Redis stops while the minute after this many final ones is in flight. */
const STOP_AFTER = 4;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}, 60_000);

describe('a Redis restart in the middle of ticks, two worker processes', () => {
  it.each([3, 30])(
    'Redis down for %i s: no process exits, every minute final, no intent dropped, books = fills',
    async (downS) => {
      const base = await createTickFixture({ teams: TEAMS });
      cleanups.push(() => base.close());
      const redisDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-redis-outage-'));
      cleanups.push(() => Promise.resolve(rmSync(redisDir, { recursive: true, force: true })));
      let redis: EmbeddedService = await startEmbeddedRedis({ dataDir: redisDir, log: silentLog });
      cleanups.push(() => redis.stop());
      const fixture: TickFixture = { ...base, redisUrl: redis.url };

      const workers: WorkerProcess[] = [startWorkerProcess(fixture), startWorkerProcess(fixture)];
      cleanups.push(async () => {
        for (const worker of workers) await stopWorkerProcess(worker);
      });
      await Promise.all(workers.map((worker) => worker.waitFor('tick worker ready', 90_000)));

      const season = playSeason(fixture, MINUTES);
      await season.midMinuteAfter(STOP_AFTER);
      const url = redis.url;
      await redis.stop();
      await new Promise((resolve) => setTimeout(resolve, downS * 1_000));
      expectAlive(workers);
      redis = await startEmbeddedRedis({ dataDir: redisDir, log: silentLog });
      expect(redis.url).toBe(url);

      await season.done;
      expectAlive(workers);
      // The workers saw the outage (and said so), and rode it out.
      expect(workers.some((worker) => /ECONNREFUSED|Connection is closed/.test(worker.output()))).toBe(true);
      await expectNothingLost(fixture, season, { minutes: MINUTES, cleanBefore: STOP_AFTER });
    },
    120_000,
  );
});
