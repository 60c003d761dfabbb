import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isPortFree } from '../../data/embedded/freePort.ts';
import { serverPort } from '../support/serverPort.ts';
import { isProcessAlive } from '../../data/embedded/managedProcess.ts';
import { makeTempDir } from '../support/tempDir.ts';

const projectRoot = path.resolve(import.meta.dirname, '../..');

interface RunningQtc {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
}

function startQtc(env: Record<string, string>): RunningQtc {
  const cleanEnv = { ...process.env };
  delete cleanEnv.DATABASE_URL;
  delete cleanEnv.REDIS_URL;
  const child = spawn(process.execPath, ['--no-node-snapshot', 'bin/qtc.js', 'all'], {
    cwd: projectRoot,
    env: { ...cleanEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exit };
}

async function healthStatus(port: number): Promise<number | undefined> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`)).status;
  } catch {
    return undefined;
  }
}

/** Waits for /health to answer 200; a failure carries what qtc printed (why it did not come up). */
async function untilHealthy(qtc: RunningQtc, port: number): Promise<void> {
  try {
    await expect.poll(() => healthStatus(port), { timeout: 90_000, interval: 250 }).toBe(200);
  } catch (error) {
    throw new Error(`qtc did not answer /health on port ${String(port)} (exit code ${String(qtc.child.exitCode)}); it printed:\n${qtc.output().slice(-6_000)}`, { cause: error });
  }
}

function servicePids(dataDir: string): number[] {
  const postmaster = readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0];
  const redis = readFileSync(path.join(dataDir, 'redis', 'redis.pid'), 'utf8').trim();
  return [Number(postmaster), Number(redis)];
}

describe('qtc all on the embedded default', { timeout: 180_000 }, () => {
  const temp = makeTempDir('qtc-server-');
  afterAll(() => temp.remove());

  async function runUntilHealthyThenInterrupt(): Promise<{ output: string; pids: number[]; code: number | null }> {
    const port = await serverPort();
    const qtc = startQtc({ QTC_DATA_DIR: temp.dir, PORT: String(port), LOG_LEVEL: 'info' });
    try {
      await untilHealthy(qtc, port);
      const pids = servicePids(temp.dir);
      expect(pids.every(isProcessAlive)).toBe(true);
      qtc.child.kill('SIGINT');
      const code = await qtc.exit;
      return { output: qtc.output(), pids, code };
    } finally {
      qtc.child.kill('SIGKILL');
    }
  }

  it('starts its own Postgres and Redis, answers /health, and leaves no process behind on Ctrl-C', async () => {
    const run = await runUntilHealthyThenInterrupt();
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('creating the embedded PostgreSQL cluster');
    expect(run.pids.filter(isProcessAlive)).toEqual([]);
  });

  it('reuses the same cluster on the next run', async () => {
    const run = await runUntilHealthyThenInterrupt();
    expect(run.code, run.output).toBe(0);
    expect(run.output).not.toContain('creating the embedded PostgreSQL cluster');
    expect(run.pids.filter(isProcessAlive)).toEqual([]);
  });
});

/** The children of `pid` whose command line contains `text`. */
function childrenOf(pid: number, text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('qtc all as a process tree', { timeout: 180_000 }, () => {
  it('runs the API and the worker as child processes, restarts a killed one, and stops them all on Ctrl-C', async () => {
    const temp = makeTempDir('qtc-tree-');
    try {
      const port = await serverPort();
      const qtc = startQtc({ QTC_DATA_DIR: temp.dir, PORT: String(port), LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
      try {
        await untilHealthy(qtc, port);
        const parent = qtc.child.pid!;
        const [api] = childrenOf(parent, 'qtc.js\0api');
        const [worker] = childrenOf(parent, 'qtc.js\0worker');
        expect(api, qtc.output()).toBeDefined();
        expect(worker, qtc.output()).toBeDefined();
        // The worker ticks the demo season in its own process.
        await expect.poll(() => qtc.output().includes(`"pid":${String(worker)}`) && qtc.output().includes('tick done'), { timeout: 60_000, interval: 250 }).toBe(true);

        process.kill(worker!, 'SIGKILL');
        await expect.poll(() => childrenOf(parent, 'qtc.js\0worker').filter((pid) => pid !== worker), { timeout: 60_000, interval: 250 }).toHaveLength(1);
        expect(qtc.output()).toContain('the worker process exited; restarting it');
        const [restarted] = childrenOf(parent, 'qtc.js\0worker');
        expect(await healthStatus(port)).toBe(200);

        const pids = servicePids(temp.dir);
        qtc.child.kill('SIGINT');
        expect(await qtc.exit, qtc.output()).toBe(0);
        expect([api!, restarted!, ...pids].filter(isProcessAlive)).toEqual([]);
        expect(processesNaming(temp.dir)).toEqual([]);
      } finally {
        qtc.child.kill('SIGKILL');
      }
    } finally {
      temp.remove();
    }
  });

  it('children leave when the parent is killed with SIGKILL (the next run adopts the databases)', async () => {
    const temp = makeTempDir('qtc-tree-');
    try {
      const port = await serverPort();
      const qtc = startQtc({ QTC_DATA_DIR: temp.dir, PORT: String(port), LOG_LEVEL: 'info' });
      await untilHealthy(qtc, port);
      const children = [...childrenOf(qtc.child.pid!, 'qtc.js\0api'), ...childrenOf(qtc.child.pid!, 'qtc.js\0worker')];
      expect(children).toHaveLength(2);
      qtc.child.kill('SIGKILL');
      await qtc.exit;
      await expect.poll(() => children.filter(isProcessAlive), { timeout: 30_000, interval: 250 }).toEqual([]);

      // The next run adopts the orphaned databases and stops them on Ctrl-C.
      const next = startQtc({ QTC_DATA_DIR: temp.dir, PORT: String(port), LOG_LEVEL: 'info' });
      try {
        await untilHealthy(next, port);
        next.child.kill('SIGINT');
        expect(await next.exit, next.output()).toBe(0);
        await expect.poll(() => processesNaming(temp.dir), { timeout: 30_000, interval: 250 }).toEqual([]);
      } finally {
        next.child.kill('SIGKILL');
      }
    } finally {
      for (const pid of processesNaming(temp.dir)) process.kill(pid, 'SIGKILL');
      temp.remove();
    }
  });
});

/** Processes whose command line names `dir` (the embedded Postgres and its children: `-D <dir>/postgres`). */
function processesNaming(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(dir)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The pid a pid file names; undefined while it is missing or still empty (a server writes it after creating it). */
function pidIn(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function servicePorts(dataDir: string): number[] {
  return ['postgres', 'redis'].flatMap((service) => {
    const file = path.join(dataDir, `${service}.json`);
    return existsSync(file) ? [(JSON.parse(readFileSync(file, 'utf8')) as { port: number }).port] : [];
  });
}

describe('Ctrl-C during start-up', { timeout: 180_000 }, () => {
  // Redis is up within a moment, while Postgres is still being created; Postgres is spawned a little later.
  it.each(['redis/redis.pid', 'postgres/postmaster.pid'])('once %s exists: stops what has started and leaves no Postgres or Redis behind', async (pidFile) => {
    const temp = makeTempDir('qtc-startup-');
    try {
      const qtc = startQtc({ QTC_DATA_DIR: temp.dir, PORT: String(await serverPort()), LOG_LEVEL: 'info' });
      try {
        await expect.poll(() => pidIn(path.join(temp.dir, pidFile)) !== undefined || qtc.child.exitCode !== null, { timeout: 90_000, interval: 5 }).toBe(true);
        const redisPid = pidIn(path.join(temp.dir, 'redis', 'redis.pid'));
        qtc.child.kill('SIGINT');
        const code = await qtc.exit;
        expect(qtc.output()).not.toContain('competition server ready');
        expect(code, qtc.output()).toBe(0);
        if (redisPid !== undefined) expect(isProcessAlive(redisPid)).toBe(false);
        expect(processesNaming(temp.dir)).toEqual([]);
        const ports = servicePorts(temp.dir);
        expect(ports.length).toBeGreaterThan(0);
        for (const port of ports) expect(await isPortFree(port), `port ${String(port)} still taken`).toBe(true);
      } finally {
        qtc.child.kill('SIGKILL');
      }
    } finally {
      temp.remove();
    }
  });
});

describe('qtc all with bad configuration', () => {
  it.each([
    [{ PORT: 'abc' }, /^qtc: invalid configuration: PORT must be a TCP port number/],
    [
      { DATABASE_URL: 'postgres://qtc:secret@127.0.0.1:1/qtc', SERVICE_CONNECT_TIMEOUT_MS: '3000' },
      /^qtc: cannot connect to PostgreSQL at postgres:\/\/qtc:\*\*\*@127\.0\.0\.1:1\/qtc \(DATABASE_URL\): .*ECONNREFUSED/,
    ],
  ])('%o stops with one line naming the problem and a non-zero exit', async (env, message) => {
    const qtc = startQtc({ ...env, LOG_LEVEL: 'warn', REDIS_URL: 'redis://127.0.0.1:1' });
    const code = await qtc.exit;
    expect(code).not.toBe(0);
    const lines = qtc.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
    expect(qtc.output()).not.toContain('secret');
  });
});
