import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createPgPool, type PgPool } from '../../data/postgres/pool.ts';
import { serverPort } from '../support/serverPort.ts';
import { createTestDatabase } from '../support/databases.ts';
import { makeTempDir } from '../support/tempDir.ts';

/**
 * `qtc control` on its own, with `qtc worker` and `qtc api` as separate processes (as on separate
 * machines: only the control process has the registry file): the control process publishes the
 * registry, syncs the teams' Git repositories and schedules the minutes, the worker trades them, and
 * an admin "sync now" sent to the API replica is relayed to the control process over Redis.
 */

const projectRoot = path.resolve(import.meta.dirname, '../..');
const ADMIN_KEY = randomBytes(24).toString('hex');

interface Proc {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function qtc(command: string, env: Record<string, string>): Proc {
  const child = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', command], {
    cwd: projectRoot,
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 90_000, procs: Proc[] = []): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${procs.map((proc) => proc.output().slice(-3000)).join('\n----\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

describe('qtc control with a separate qtc worker and qtc api', { timeout: 240_000 }, () => {
  const temp = makeTempDir('qtc-control-role-');
  let database: { url: string; drop: () => Promise<void> };
  let pool: PgPool;
  const procs: Proc[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    pool = createPgPool({ url: database.url, max: 2, connectTimeoutMs: 5_000 });
  });
  afterAll(async () => {
    for (const proc of procs.reverse()) {
      if (proc.child.exitCode === null && proc.child.signalCode === null) {
        proc.child.kill('SIGTERM');
        const timer = setTimeout(() => proc.child.kill('SIGKILL'), 20_000);
        await proc.exit;
        clearTimeout(timer);
      }
    }
    await pool.end();
    await database.drop();
    temp.remove();
  });

  it('publishes the registry, syncs Git and schedules minutes that the worker trades; sync now through the replica reaches it', async () => {
    const dataDir = path.join(temp.dir, 'control-data');
    const registryFile = path.join(temp.dir, 'team_registry.yaml');
    const demo = path.join(dataDir, 'local-repos', 'demo-strategies.git');
    writeFileSync(
      registryFile,
      [
        'competition:',
        '  name: Control Cup',
        '  universe: [SPY, QQQ]',
        '  marketData: { source: simulator, seed: 5 }',
        'teams:',
        `  - { id: momentum, name: Momentum, repo: ${demo}, path: momentum }`,
        '',
      ].join('\n'),
    );
    const common = { DATABASE_URL: database.url, REDIS_URL: inject('redisUrl'), QTC_REDIS_PREFIX: `qtcctl${randomBytes(3).toString('hex')}`, SANDBOX_PROCESSES: '1' };
    const control = qtc('control', { ...common, QTC_REGISTRY_FILE: registryFile, QTC_DATA_DIR: dataDir, SIM_MINUTE_MS: '1000' });
    procs.push(control);
    await until('the control process', () => Promise.resolve(control.output().includes('control process ready') ? true : undefined), 90_000, [control]);
    expect(control.output()).not.toContain('Server listening');

    // Worker and replica: no registry file (a path that does not exist), their own empty data folders.
    const elsewhere = { ...common, QTC_REGISTRY_FILE: path.join(temp.dir, 'missing', 'team_registry.yaml') };
    const worker = qtc('worker', { ...elsewhere, QTC_DATA_DIR: path.join(temp.dir, 'worker-data') });
    const port = await serverPort();
    const api = qtc('api', { ...elsewhere, QTC_DATA_DIR: path.join(temp.dir, 'api-data'), PORT: String(port), QTC_ADMIN_KEYS: ADMIN_KEY });
    procs.push(worker, api);
    const all = [control, worker, api];

    // Git sync in the control process activates the team's strategy; the worker runs it and trades.
    await until(
      'the strategy activated by the control process',
      async () => ((await pool.query('SELECT 1 FROM team_active_versions WHERE team_id = $1', ['momentum'])).rowCount ? true : undefined),
      90_000,
      all,
    );
    await until(
      'minutes with the team run by the worker',
      async () => {
        const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM ticks WHERE status = 'completed' AND teams_run > 0");
        return (rows[0]?.n ?? 0) >= 3 ? true : undefined;
      },
      120_000,
      all,
    );
    expect(worker.output()).toContain('tick done');

    // "Sync now" sent to the replica, which runs no Git sync, is answered by the control process.
    await until('the api replica', async () => ((await fetch(`http://127.0.0.1:${String(port)}/health`)).status === 200 ? true : undefined), 60_000, all);
    const response = await fetch(`http://127.0.0.1:${String(port)}/api/v1/admin/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ team: 'momentum' }),
    });
    const body = (await response.json()) as { results?: Array<{ team_id: string; outcome: string }> };
    expect(response.status, JSON.stringify(body)).toBe(200);
    expect(body.results?.map((result) => result.team_id)).toEqual(['momentum']);
    const unknown = await fetch(`http://127.0.0.1:${String(port)}/api/v1/admin/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ team: 'nobody' }),
    });
    expect(unknown.status).toBe(404);

    // SIGTERM: the control process stops its scheduler and Git sync and exits cleanly.
    control.child.kill('SIGTERM');
    expect(await control.exit).toBe(0);
  });
});
