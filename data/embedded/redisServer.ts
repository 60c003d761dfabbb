import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { ensureBinary } from './binaries.ts';
import { preferredPort } from './freePort.ts';
import type { ServiceLog } from './log.ts';
import { isProcessAlive, ManagedProcess, stopForeignProcess, tailOfFile } from './managedProcess.ts';
import type { EmbeddedService } from './postgresCluster.ts';
import { ServiceStateFile } from './serviceState.ts';
import { waitFor } from './waitFor.ts';

async function ping(url: string): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
  client.on('error', () => undefined); // the rejected connect() carries the error
  try {
    await client.connect();
    await client.ping();
  } finally {
    client.disconnect();
  }
}

function redisUrl(password: string, port: number, host = '127.0.0.1'): string {
  return `redis://:${encodeURIComponent(password)}@${host}:${port}`;
}

/**
 * The URL another machine uses to reach the embedded Redis of `dataDir` at `host` (one of the
 * QTC_EMBEDDED_LISTEN addresses); undefined before any `qtc all` has run it.
 */
export function embeddedRedisUrl(dataDir: string, host: string): string | undefined {
  const state = new ServiceStateFile(dataDir, 'redis').readExisting();
  return state?.port === undefined ? undefined : redisUrl(state.password, state.port, host);
}

function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** The config lives in a file readable only by us, so the password never shows in `ps`. */
function writeConfig(file: string, options: { port: number; dir: string; password: string; pidFile: string; listen: readonly string[] }): void {
  const lines = [
    `port ${options.port}`,
    `bind ${['127.0.0.1', ...options.listen.filter((address) => address !== '127.0.0.1')].join(' ')}`,
    'protected-mode yes',
    `requirepass ${options.password}`,
    `dir ${options.dir}`,
    `pidfile ${options.pidFile}`,
    'daemonize no',
    // BullMQ jobs and the activity stream must survive a restart: append-only file, fsync every second.
    'appendonly yes',
    'appendfsync everysec',
    'save 300 1',
    // BullMQ requires keys never to be evicted.
    'maxmemory-policy noeviction',
  ];
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
}

/**
 * A redis-server of our own in `<dataDir>/redis`, reused across runs, on 127.0.0.1 (and `listen`) with a generated
 * password. `signal` abandons the start (a server we spawned is stopped) when the process is asked to stop meanwhile.
 */
export async function startEmbeddedRedis(options: {
  dataDir: string;
  log: ServiceLog;
  timeoutMs?: number;
  signal?: AbortSignal | undefined;
  /** Addresses to listen on besides 127.0.0.1 (QTC_EMBEDDED_LISTEN); the password is required on every one. */
  listen?: readonly string[];
}): Promise<EmbeddedService> {
  const { dataDir, log, signal } = options;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const dir = path.join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stateFile = new ServiceStateFile(dataDir, 'redis');
  const state = stateFile.read();
  const pidFile = path.join(dir, 'redis.pid');
  const urlFor = (port: number) => redisUrl(state.password, port);

  const runningPid = readPid(pidFile);
  if (runningPid !== undefined && state.port !== undefined && isProcessAlive(runningPid)) {
    const url = urlFor(state.port);
    await waitFor(() => ping(url), { timeoutMs, signal, what: 'the running embedded Redis' });
    const ownerAlive = state.ownerPid !== undefined && state.ownerPid !== process.pid && isProcessAlive(state.ownerPid);
    if (ownerAlive) {
      log.info({ port: state.port, ownerPid: state.ownerPid }, 'using the embedded Redis another qtc process started; it stays with that process');
      return { url, stop: () => Promise.resolve() };
    }
    log.warn({ port: state.port, serverPid: runningPid }, 'adopted an embedded Redis left running by an earlier run; it stops when this process stops');
    stateFile.write({ ...state, ownerPid: process.pid });
    return { url, stop: () => stopForeignProcess(runningPid, 'SIGTERM', 10_000) };
  }

  const binary = await ensureBinary({ binary: 'redis-server', debianPackage: 'redis-server', alternative: 'set REDIS_URL to a running Redis' }, log);
  signal?.throwIfAborted(); // asked to stop meanwhile: start no server
  const port = await preferredPort(state.port);
  const configFile = path.join(dir, 'redis.conf');
  writeConfig(configFile, { port, dir, password: state.password, pidFile, listen: options.listen ?? [] });
  const logFile = path.join(dataDir, 'redis.log');
  const server = new ManagedProcess({ command: binary, args: [configFile], logFile });
  stateFile.write({ ...state, port, ownerPid: process.pid });
  const url = urlFor(port);
  try {
    await waitFor(() => ping(url), {
      timeoutMs,
      signal,
      what: `Redis on port ${port}`,
      giveUp: () => (server.running ? undefined : `redis-server exited at start: ${tailOfFile(logFile, 3)} (log: ${logFile})`),
    });
  } catch (error) {
    await server.stop('SIGKILL', 1_000);
    throw error;
  }
  log.info({ port, serverPid: server.pid }, 'embedded Redis is up');
  // SIGTERM makes redis-server flush its append-only file and exit.
  return { url, stop: () => server.stop('SIGTERM', 10_000) };
}

/**
 * The URL of the embedded Redis another process runs in `dataDir` (`qtc all`), once it answers: for
 * `qtc worker` and `qtc api`, which never start, adopt or stop it. Retries until `timeoutMs`.
 */
export function joinEmbeddedRedis(options: { dataDir: string; timeoutMs: number; signal?: AbortSignal | undefined }): Promise<string> {
  const stateFile = new ServiceStateFile(options.dataDir, 'redis');
  return waitFor(
    async () => {
      const state = stateFile.readExisting();
      if (state?.port === undefined) throw new Error('no qtc all has run it yet');
      const url = redisUrl(state.password, state.port);
      await ping(url);
      return url;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 250, signal: options.signal, what: `the embedded Redis of ${options.dataDir} (run by qtc all; or set REDIS_URL)` },
  );
}
