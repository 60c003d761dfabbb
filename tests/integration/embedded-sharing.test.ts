import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { serverPort } from '../support/serverPort.ts';
import { isProcessAlive } from '../../data/embedded/managedProcess.ts';
import { startEmbeddedPostgres, type EmbeddedService } from '../../data/embedded/postgresCluster.ts';
import { startEmbeddedRedis } from '../../data/embedded/redisServer.ts';
import { ServiceStateFile } from '../../data/embedded/serviceState.ts';
import { silentLog } from '../support/silentLog.ts';
import { publishRegistryAt } from './registry/publish.ts';
import { makeTempDir } from '../support/tempDir.ts';

/**
 * `qtc worker` and `qtc api` never start, adopt or stop the embedded Postgres and Redis: they wait for
 * the ones `qtc all` runs (until SERVICE_CONNECT_TIMEOUT_MS) and leave them running when they stop,
 * even when the process that started them is gone (an orphan a `qtc all` would adopt).
 */

const projectRoot = path.resolve(import.meta.dirname, '../..');

interface Qtc {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function startQtc(command: 'worker' | 'api', env: Record<string, string>): Qtc {
  const cleanEnv = { ...process.env };
  delete cleanEnv.DATABASE_URL;
  delete cleanEnv.REDIS_URL;
  const child = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', command], {
    cwd: projectRoot,
    env: { ...cleanEnv, LOG_LEVEL: 'info', SANDBOX_PROCESSES: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

/** SIGTERM, so that a process which did start servers of its own (the bug) stops them before the folder goes. */
async function stopQtc(qtc: Qtc): Promise<void> {
  if (qtc.child.exitCode !== null || qtc.child.signalCode !== null) return;
  qtc.child.kill('SIGTERM');
  await qtc.exit;
}

async function waitUntil(condition: () => boolean | Promise<boolean>, qtc: Qtc, what: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline || qtc.child.exitCode !== null) throw new Error(`no ${what} within ${String(timeoutMs)} ms; output:\n${qtc.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function healthStatus(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`)).status;
  } catch {
    return undefined;
  }
}

describe('qtc worker and qtc api on the embedded services', { timeout: 180_000 }, () => {
  it.each(['worker', 'api'] as const)('qtc %s with no qtc all running waits SERVICE_CONNECT_TIMEOUT_MS, then stops without starting a server', async (command) => {
    const temp = makeTempDir('qtc-join-');
    const qtc = startQtc(command, { QTC_DATA_DIR: temp.dir, PORT: String(await serverPort()), SERVICE_CONNECT_TIMEOUT_MS: '1500', LOG_LEVEL: 'warn' });
    try {
      const code = await Promise.race([qtc.exit, new Promise((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000))]);
      expect(code).toBe(1);
      expect(qtc.output().trim()).toMatch(
        /^qtc: the embedded PostgreSQL of .* \(run by qtc all; or set DATABASE_URL\) did not become ready within 1500 ms \(no qtc all has run it yet\)$/,
      );
      expect(['postgres', 'redis', 'postgres.json', 'redis.json'].filter((name) => existsSync(path.join(temp.dir, name)))).toEqual([]);
    } finally {
      await stopQtc(qtc);
      temp.remove();
    }
  });

  describe('with servers whose starter is gone', () => {
    const temp = makeTempDir('qtc-orphan-');
    const services: EmbeddedService[] = [];
    const processes: Qtc[] = [];
    afterAll(async () => {
      for (const qtc of processes) await stopQtc(qtc);
      await Promise.all(services.map((service) => service.stop()));
      temp.remove();
    });

    it('a worker started first waits for them; stopping it and an api leaves them running', async () => {
      const worker = startQtc('worker', { QTC_DATA_DIR: temp.dir, SERVICE_CONNECT_TIMEOUT_MS: '60000' });
      processes.push(worker);
      // The worker is waiting: it has started nothing of its own.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(worker.child.exitCode).toBeNull();
      expect(existsSync(path.join(temp.dir, 'postgres'))).toBe(false);

      // The servers come up (started here, standing in for a `qtc all`), then their starter is "gone":
      // no live owner recorded, exactly what a `qtc all` killed with SIGKILL leaves behind.
      services.push(...(await Promise.all([startEmbeddedPostgres({ dataDir: temp.dir, log: silentLog }), startEmbeddedRedis({ dataDir: temp.dir, log: silentLog })])));
      // What `qtc all` also does: publish the registry in Postgres, where workers and replicas read it.
      await publishRegistryAt(services[0]!.url, path.join(projectRoot, 'team_registry.yaml'));
      for (const name of ['postgres', 'redis']) {
        const state = new ServiceStateFile(temp.dir, name);
        const { ownerPid: _gone, ...rest } = state.read();
        state.write(rest);
      }
      const pids = [
        Number(readFileSync(path.join(temp.dir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]),
        Number(readFileSync(path.join(temp.dir, 'redis', 'redis.pid'), 'utf8').trim()),
      ];

      await waitUntil(() => worker.output().includes('tick worker ready'), worker, 'tick worker ready');
      const port = await serverPort();
      const api = startQtc('api', { QTC_DATA_DIR: temp.dir, PORT: String(port) });
      processes.push(api);
      await waitUntil(async () => (await healthStatus(port)) === 200, api, '/health 200');

      worker.child.kill('SIGTERM');
      api.child.kill('SIGINT');
      expect(await worker.exit, worker.output()).toBe(0);
      expect(await api.exit, api.output()).toBe(0);
      for (const output of [worker.output(), api.output()]) {
        expect(output).not.toMatch(/adopted|embedded PostgreSQL is up|embedded Redis is up|creating the embedded/);
      }
      expect(pids.filter(isProcessAlive)).toEqual(pids);
    });
  });
});
