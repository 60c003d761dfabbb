// Issue 11: Postgres killed (SIGKILL of the postmaster's process group) in the middle of a season
// ticked by two real `qtc worker` processes, kept down 3 s and 30 s, then started again on the same port
// and data folder. The cluster is a throwaway one of this test (the shared test server is never stopped);
// the scheduler is played by season.ts. Checks: no process exited, every minute ends completed or marked
// failed with its reason, the season completes minutes again afterwards, every stored intent became an
// order that left pending_submit, and every book equals its fills. No assertion depends on machine speed.
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { isProcessAlive } from '../../../data/embedded/managedProcess.ts';
import { startEmbeddedPostgres, type EmbeddedService } from '../../../data/embedded/postgresCluster.ts';
import { migrateUp } from '../../../data/postgres/migrate.ts';
import { createPgPool } from '../../../data/postgres/pool.ts';
import { silentLog } from '../../support/silentLog.ts';
import { seedCompetition, startWorkerProcess, stopWorkerProcess, type TickFixture, type WorkerProcess } from '../tick/support.ts';
import { expectAlive, expectNothingLost, playSeason, until } from './season.ts';

const TEAMS = ['p-one', 'p-two', 'p-three', 'p-four'];
const MINUTES = 12;
/** Postgres dies while the minute after this many final ones is in flight. */
const KILL_AFTER = 4;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
}, 60_000);

/** The tick fixture of tests/integration/tick/support.ts, on a Postgres cluster of this test. */
async function fixtureOn(url: string, dir: string): Promise<TickFixture> {
  const pool = createPgPool({ url, max: 6, connectTimeoutMs: 2_000 });
  await migrateUp(pool);
  const registryFile = await seedCompetition(pool, dir, { teams: TEAMS });
  const redisPrefix = `qtc-test-${randomBytes(4).toString('hex')}`;
  return { databaseUrl: url, redisUrl: inject('redisUrl'), pool, registryFile, redisPrefix, bullPrefix: `${redisPrefix}:bull`, teamIds: TEAMS, close: () => pool.end() };
}

describe('a Postgres restart in the middle of ticks, two worker processes', () => {
  it.each([3, 30])(
    'Postgres down for %i s: no process exits, every minute final, no intent dropped, books = fills',
    async (downS) => {
      const dataDir = mkdtempSync(path.join(os.tmpdir(), 'qtc-pg-outage-'));
      chmodSync(dataDir, 0o755); // PostgreSQL runs as the postgres user when we are root
      cleanups.push(() => Promise.resolve(rmSync(dataDir, { recursive: true, force: true })));
      let postgres: EmbeddedService = await startEmbeddedPostgres({ dataDir, log: silentLog });
      cleanups.push(() => postgres.stop());
      const fixture = await fixtureOn(postgres.url, dataDir);
      cleanups.push(() => fixture.close());

      const workers: WorkerProcess[] = [startWorkerProcess(fixture), startWorkerProcess(fixture)];
      cleanups.push(async () => {
        for (const worker of workers) await stopWorkerProcess(worker);
      });
      await Promise.all(workers.map((worker) => worker.waitFor('tick worker ready', 90_000)));

      const season = playSeason(fixture, MINUTES);
      await season.midMinuteAfter(KILL_AFTER);
      const url = postgres.url;
      const [pidLine] = readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n');
      const postmaster = Number(pidLine);
      process.kill(-postmaster, 'SIGKILL');
      await until('the postmaster gone', () => Promise.resolve(isProcessAlive(postmaster) ? undefined : true), 30_000);
      await new Promise((resolve) => setTimeout(resolve, downS * 1_000));
      expectAlive(workers);
      postgres = await startEmbeddedPostgres({ dataDir, log: silentLog });
      expect(postgres.url).toBe(url);

      await season.done;
      expectAlive(workers);
      await expectNothingLost(fixture, season, { minutes: MINUTES, cleanBefore: KILL_AFTER });
    },
    120_000,
  );
});
