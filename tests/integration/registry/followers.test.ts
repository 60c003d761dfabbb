import { spawn, type ChildProcess } from 'node:child_process';
import { renameSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPort } from '../../support/serverPort.ts';
import { openRegistry } from '../../../registry/role.ts';
import type { RegistryStore } from '../../../registry/store.ts';
import { parseRegistry } from '../../../registry/load.ts';
import { publishRegistry, readRegistryInForce } from '../../../registry/versions.ts';
import { connectRedis, createRedis } from '../../../data/redis/client.ts';
import { serveRegistryReloads } from '../../../server/control/registryRelay.ts';
import { Lifecycle } from '../../../server/lifecycle.ts';
import {
  createTickFixture,
  enqueueMinute,
  minuteAt,
  projectRoot,
  startWorkerProcess,
  stopWorkerProcess,
  waitForTick,
  type TickFixture,
  type WorkerProcess,
} from '../tick/support.ts';
import { publishRegistryText } from './publish.ts';

/**
 * One source of truth: only the control role reads team_registry.yaml and publishes it (versioned) to
 * Postgres, under the control leader lock. A `qtc worker` and a `qtc api` started with no registry file
 * at all (QTC_REGISTRY_FILE names a missing path) read the registry from Postgres, work, and follow a
 * change the control role makes.
 */

const ADMIN_KEY = 'followers-test-admin-key-0123456789abcdef';
const MISSING = '/nonexistent/qtc/team_registry.yaml';

let fixture: TickFixture;
let control: Lifecycle;
let controlStore: RegistryStore;
const workers: WorkerProcess[] = [];
let api: ChildProcess | undefined;
let apiOutput = '';
let port = 0;

function captureLogger(lines: string[]) {
  return pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
}

beforeAll(async () => {
  fixture = await createTickFixture({ teams: ['alpha'] });
  control = new Lifecycle();
  controlStore = await openRegistry({ pool: fixture.pool, logger: captureLogger([]), lifecycle: control, control: true, file: fixture.registryFile });
}, 60_000);

afterAll(async () => {
  for (const worker of workers) await stopWorkerProcess(worker);
  if (api && api.exitCode === null) {
    const exited = new Promise((resolve) => api!.once('exit', resolve));
    api.kill('SIGTERM');
    await exited;
  }
  await control?.closeAll();
  await fixture?.close();
});

async function adminRegistry(): Promise<{ file: string; teams: number; lastError: { errors: Array<{ path: string; line: number }> } | null }> {
  const response = await fetch(`http://127.0.0.1:${String(port)}/api/v1/admin/registry`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  if (response.status !== 200) throw new Error(`admin registry: ${String(response.status)}`);
  return (await response.json()) as Awaited<ReturnType<typeof adminRegistry>>;
}

describe('the registry in Postgres, written only by the control role', { timeout: 120_000 }, () => {
  it('the control role publishes the file as version 1', async () => {
    const inForce = await readRegistryInForce(fixture.pool);
    expect(inForce).toMatchObject({ version: 1, file: fixture.registryFile, text: readFileSync(fixture.registryFile, 'utf8') });
  });

  it('a second control process waits for the leader lock, saying so, and writes nothing', async () => {
    const lines: string[] = [];
    const second = new Lifecycle();
    const opening = openRegistry({ pool: fixture.pool, logger: captureLogger(lines), lifecycle: second, control: true, file: fixture.registryFile });
    const settled = await Promise.race([
      opening.then(
        () => 'opened',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(() => resolve('waiting'), 2_500)),
    ]);
    expect(settled).toBe('waiting');
    expect(lines.join('')).toContain('another control process holds the control leader lock');
    second.requestStop();
    await expect(opening).rejects.toThrow(/stopped while waiting for the control leader lock/);
    await second.closeAll();
    expect((await readRegistryInForce(fixture.pool))?.version).toBe(1);
  });

  it('a write that fails the leader check writes nothing', async () => {
    const parsed = parseRegistry('competition:\n  name: Rogue\n  universe: [SPY]\nteams: []\n');
    if (!parsed.ok) throw new Error('bad test registry');
    const notLeader = () => Promise.reject(new Error('this process does not hold the control leader lock'));
    await expect(publishRegistry(fixture.pool, parsed.registry, { text: 'rogue', hash: 'f'.repeat(64), file: 'rogue' }, notLeader)).rejects.toThrow(/does not hold/);
    expect((await readRegistryInForce(fixture.pool))?.version).toBe(1);
    expect((await fixture.pool.query('SELECT count(*)::int AS n FROM teams WHERE removed_at IS NULL')).rows[0]).toEqual({ n: 1 });
  });

  it('a worker and an API replica with no registry file start, work, and follow a change made by the control role', async () => {
    // The worker: runs a minute for the registry's team.
    const worker = startWorkerProcess(fixture, { QTC_REGISTRY_FILE: MISSING });
    workers.push(worker);
    await worker.waitFor('tick worker ready');
    await worker.waitFor('registry version 1 in force (from Postgres)');
    await enqueueMinute(fixture, minuteAt(0));
    expect((await waitForTick(fixture.pool, minuteAt(0))).status).toBe('completed');

    // The API replica: serves, with the registry from Postgres.
    port = await serverPort();
    api = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'api'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        DATABASE_URL: fixture.databaseUrl,
        REDIS_URL: fixture.redisUrl,
        QTC_REDIS_PREFIX: fixture.redisPrefix,
        QTC_REGISTRY_FILE: MISSING,
        QTC_ADMIN_KEYS: ADMIN_KEY,
        QTC_DATA_DIR: path.dirname(fixture.registryFile),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        LOG_FORMAT: 'json',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    api.stdout!.on('data', (chunk: Buffer) => (apiOutput += chunk.toString()));
    api.stderr!.on('data', (chunk: Buffer) => (apiOutput += chunk.toString()));
    await expect
      .poll(
        async () => {
          if (api!.exitCode !== null) throw new Error(`qtc api exited: ${apiOutput}`);
          return adminRegistry().catch(() => null);
        },
        { timeout: 60_000, interval: 250 },
      )
      .toEqual(expect.objectContaining({ file: 'postgres:registry_versions', teams: 1 }));
    expect((await fetch(`http://127.0.0.1:${String(port)}/leaderboard`)).status).toBe(200);

    // The control role's file changes (an atomic save): a new version, which both follow.
    const text = readFileSync(fixture.registryFile, 'utf8');
    const next = `${text.replace('name: Tick test', 'name: Tick test, edited')}  - id: beta\n    name: Team beta\n    repo: https://example.org/beta.git\n`;
    writeFileSync(`${fixture.registryFile}.tmp`, next);
    renameSync(`${fixture.registryFile}.tmp`, fixture.registryFile);
    await expect.poll(() => controlStore.current().teams.length, { timeout: 15_000 }).toBe(2);
    expect((await readRegistryInForce(fixture.pool))?.version).toBe(2);
    await expect.poll(() => adminRegistry().then((r) => r.teams), { timeout: 15_000 }).toBe(2);
    await worker.waitFor('registry version 2 in force (from Postgres)', 15_000);

    // Neither ever looked for a local registry file.
    for (const output of [worker.output(), apiOutput]) expect(output).not.toContain(MISSING);
  });

  it("the API replica shows the control role's rejected edit, and its reload is done by the control role", async () => {
    const redis = createRedis(fixture.redisUrl);
    await connectRedis(redis, 10_000);
    const stopServing = await serveRegistryReloads({
      store: controlStore,
      redis,
      subscriber: redis.duplicate(),
      log: pino({ level: 'silent' }),
      channel: `${fixture.redisPrefix}:registry`,
    });
    const inForce = readFileSync(fixture.registryFile, 'utf8');
    const reload = () => fetch(`http://127.0.0.1:${String(port)}/api/v1/admin/registry/reload`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    try {
      writeFileSync(fixture.registryFile, inForce.replace(/universe: .*/, 'universe: []'));
      expect((await controlStore.reload('file-change')).result).toBe('failed');
      expect((await adminRegistry()).lastError?.errors[0]?.path).toBe('competition.universe');

      const refused = await reload();
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({ error: 'registry_rejected', registry: { file: fixture.registryFile } });

      writeFileSync(fixture.registryFile, inForce);
      const loaded = await reload();
      expect(loaded.status).toBe(200);
      expect(await loaded.json()).toMatchObject({ outcome: 'loaded', registry: { file: fixture.registryFile, lastError: null } });
      expect((await adminRegistry()).lastError).toBeNull();
      // The same text: no new version.
      expect((await readRegistryInForce(fixture.pool))?.version).toBe(2);
    } finally {
      await stopServing();
      redis.disconnect();
    }
  });

  it('a version published by the control role reaches a running worker', async () => {
    const text = readFileSync(fixture.registryFile, 'utf8').replace('name: Tick test, edited', 'name: Tick test, third');
    await publishRegistryText(fixture.pool, text);
    await workers[0]!.waitFor('registry version 3 in force (from Postgres)', 15_000);
  });
});
