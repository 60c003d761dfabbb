import { execFile } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { ensureBinary } from './binaries.ts';
import { preferredPort } from './freePort.ts';
import type { ServiceLog } from './log.ts';
import { isProcessAlive, ManagedProcess, stopForeignProcess, tailOfFile } from './managedProcess.ts';
import { serviceUserForPostgres, type RunAs } from './runAs.ts';
import { ServiceStateFile } from './serviceState.ts';
import { waitFor } from './waitFor.ts';

const execFileAsync = promisify(execFile);

const SUPERUSER = 'qtc';
const DATABASE = 'qtc';

export interface EmbeddedService {
  readonly url: string;
  /** Stops the server if this process owns it; a server shared with a live owner is left running. */
  stop(): Promise<void>;
}

const POSTGRES_SOURCE = {
  debianPackage: 'postgresql',
  alternative: 'set DATABASE_URL to a running PostgreSQL',
};

function readPostmasterPid(pgdata: string): { pid: number; port: number } | undefined {
  try {
    const [pid, , , port] = readFileSync(path.join(pgdata, 'postmaster.pid'), 'utf8').split('\n');
    return { pid: Number(pid), port: Number(port) };
  } catch {
    return undefined;
  }
}

function connectionUrl(password: string, port: number, database: string, host = '127.0.0.1'): string {
  return `postgres://${SUPERUSER}:${encodeURIComponent(password)}@${host}:${port}/${database}`;
}

/**
 * The URL another machine uses to reach the embedded PostgreSQL of `dataDir` at `host` (one of the
 * QTC_EMBEDDED_LISTEN addresses); undefined before any `qtc all` has run it.
 */
export function embeddedPostgresUrl(dataDir: string, host: string): string | undefined {
  const state = new ServiceStateFile(dataDir, 'postgres').readExisting();
  return state?.port === undefined ? undefined : connectionUrl(state.password, state.port, DATABASE, host);
}

const REMOTE_HBA_MARK = '# qtc: QTC_EMBEDDED_LISTEN';

/**
 * Lets clients on other machines log in with the password (scram-sha-256, as on 127.0.0.1): the
 * server listens only on the addresses QTC_EMBEDDED_LISTEN names, so "any address" here means any
 * client that can reach those.
 */
function allowRemotePasswordLogins(pgdata: string): void {
  const hba = path.join(pgdata, 'pg_hba.conf');
  const text = readFileSync(hba, 'utf8');
  if (text.includes(REMOTE_HBA_MARK)) return;
  writeFileSync(hba, `${text}${text.endsWith('\n') ? '' : '\n'}${REMOTE_HBA_MARK}\nhost    all    all    0.0.0.0/0    scram-sha-256\n`);
}

function listenAddresses(listen: readonly string[]): string {
  return ['127.0.0.1', ...listen.filter((address) => address !== '127.0.0.1')].join(',');
}

async function canConnect(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await client.end();
  }
}

function prepareDirectory(dir: string, runAs: RunAs | undefined, mode: number): void {
  mkdirSync(dir, { recursive: true, mode });
  chmodSync(dir, mode);
  if (runAs) chownSync(dir, runAs.uid, runAs.gid);
}

async function initCluster(pgdata: string, password: string, dataDir: string, runAs: RunAs | undefined, log: ServiceLog, signal: AbortSignal | undefined): Promise<void> {
  const initdb = await ensureBinary({ binary: 'initdb', ...POSTGRES_SOURCE }, log);
  prepareDirectory(pgdata, runAs, 0o700);
  const pwfile = path.join(dataDir, `.pgpass-init-${process.pid}`);
  writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (runAs) chownSync(pwfile, runAs.uid, runAs.gid);
  log.info({ pgdata }, 'creating the embedded PostgreSQL cluster (first run)');
  // Stopped by `signal` with SIGTERM, on which initdb finishes its step and removes what it made; we wait
  // for that (not execFile's own `signal`, which rejects at once and leaves initdb and its backend running).
  const running = execFileAsync(initdb, ['-D', pgdata, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--no-locale', '--no-instructions'], {
    timeout: 120_000,
    ...(runAs ? { uid: runAs.uid, gid: runAs.gid } : {}),
  });
  const stop = () => running.child.kill('SIGTERM');
  signal?.addEventListener('abort', stop, { once: true });
  if (signal?.aborted) stop();
  try {
    await running;
  } catch (error) {
    rmSync(pgdata, { recursive: true, force: true });
    const stderr = (error as { stderr?: string }).stderr?.trim().split('\n').slice(-3).join(' | ');
    throw new Error(`initdb failed for ${pgdata}: ${stderr || (error as Error).message}`, { cause: error });
  } finally {
    signal?.removeEventListener('abort', stop);
    rmSync(pwfile, { force: true });
  }
}

/**
 * A PostgreSQL cluster of our own in `<dataDir>/postgres`, created on first use and reused
 * afterwards, listening on 127.0.0.1 (and `listen`) with a generated password. A server left running by a dead
 * process is adopted (stopped with ours) unless `adoptOrphan` is false: a short command (`qtc admin`)
 * then uses it and leaves it running, since a `qtc worker` may be using it too. `signal` abandons the
 * start (initdb killed, a server we spawned stopped) when the process is asked to stop meanwhile.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  log: ServiceLog;
  timeoutMs?: number;
  adoptOrphan?: boolean;
  signal?: AbortSignal | undefined;
  /** Addresses to listen on besides 127.0.0.1 (QTC_EMBEDDED_LISTEN). */
  listen?: readonly string[];
}): Promise<EmbeddedService> {
  const { dataDir, log, signal } = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const runAs = serviceUserForPostgres();
  // The postgres user must be able to reach its data folder inside ours.
  prepareDirectory(dataDir, undefined, runAs ? 0o755 : 0o700);
  const pgdata = path.join(dataDir, 'postgres');
  const stateFile = new ServiceStateFile(dataDir, 'postgres');
  const state = stateFile.read();

  if (!existsSync(path.join(pgdata, 'PG_VERSION'))) await initCluster(pgdata, state.password, dataDir, runAs, log, signal);
  const listen = options.listen ?? [];
  if (listen.length > 0) allowRemotePasswordLogins(pgdata);

  const running = readPostmasterPid(pgdata);
  if (running && isProcessAlive(running.pid)) {
    const url = connectionUrl(state.password, running.port, DATABASE);
    const ownerAlive = state.ownerPid !== undefined && state.ownerPid !== process.pid && isProcessAlive(state.ownerPid);
    await waitFor(() => canConnect(connectionUrl(state.password, running.port, 'postgres')), { timeoutMs, signal, what: 'the running embedded PostgreSQL' });
    await ensureDatabase(connectionUrl(state.password, running.port, 'postgres'));
    if (options.listen !== undefined) await warnIfListeningElsewhere(connectionUrl(state.password, running.port, 'postgres'), listen, log);
    if (ownerAlive || options.adoptOrphan === false) {
      log.info({ port: running.port, ownerPid: state.ownerPid }, 'using the running embedded PostgreSQL; it is left running');
      return { url, stop: () => Promise.resolve() };
    }
    log.warn({ port: running.port, serverPid: running.pid }, 'adopted an embedded PostgreSQL left running by an earlier run; it stops when this process stops');
    stateFile.write({ ...state, port: running.port, ownerPid: process.pid });
    return { url, stop: () => stopForeignProcess(running.pid, 'SIGINT', 15_000) };
  }

  signal?.throwIfAborted(); // asked to stop meanwhile: start no server
  const postgres = await ensureBinary({ binary: 'postgres', ...POSTGRES_SOURCE }, log);
  const port = await preferredPort(state.port);
  const logFile = path.join(dataDir, 'postgres.log');
  const server = new ManagedProcess({
    command: postgres,
    args: ['-D', pgdata, '-p', String(port), '-c', `listen_addresses=${listenAddresses(listen)}`, '-c', 'unix_socket_directories=', '-c', 'logging_collector=off'],
    logFile,
    runAs,
  });
  stateFile.write({ ...state, port, ownerPid: process.pid });
  const adminUrl = connectionUrl(state.password, port, 'postgres');
  try {
    await waitFor(() => canConnect(adminUrl), {
      timeoutMs,
      signal,
      what: `PostgreSQL on port ${port}`,
      giveUp: () => (server.running ? undefined : `PostgreSQL exited at start: ${tailOfFile(logFile, 3)} (log: ${logFile})`),
    });
    await ensureDatabase(adminUrl);
  } catch (error) {
    await server.stop('SIGQUIT', 5_000);
    throw error;
  }
  log.info({ port, serverPid: server.pid, pgdata }, 'embedded PostgreSQL is up');
  // SIGINT is PostgreSQL's "fast shutdown": roll back open transactions, checkpoint, exit.
  return { url: connectionUrl(state.password, port, DATABASE), stop: () => server.stop('SIGINT', 15_000) };
}

/** A running server keeps the addresses it was started with: say so when they are not the ones asked for. */
async function warnIfListeningElsewhere(adminUrl: string, listen: readonly string[], log: ServiceLog): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const current = (await client.query<{ listen_addresses: string }>('SHOW listen_addresses')).rows[0]?.listen_addresses ?? '';
    if (current !== listenAddresses(listen)) {
      log.warn(
        { listening: current, wanted: listenAddresses(listen) },
        'the running embedded PostgreSQL listens on other addresses than QTC_EMBEDDED_LISTEN asks; stop every qtc process using it and start again to change them',
      );
    }
  } finally {
    await client.end();
  }
}

/**
 * The URL of the embedded PostgreSQL another process runs in `dataDir` (`qtc all`), once it answers:
 * for `qtc worker` and `qtc api`, which never start, adopt or stop it. Retries until `timeoutMs`, so
 * a worker started during an outage or just before `qtc all` waits instead of failing.
 */
export function joinEmbeddedPostgres(options: { dataDir: string; timeoutMs: number; signal?: AbortSignal | undefined }): Promise<string> {
  const stateFile = new ServiceStateFile(options.dataDir, 'postgres');
  return waitFor(
    async () => {
      const state = stateFile.readExisting();
      if (state?.port === undefined) throw new Error('no qtc all has run it yet');
      const url = connectionUrl(state.password, state.port, DATABASE);
      await canConnect(url);
      return url;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 250, signal: options.signal, what: `the embedded PostgreSQL of ${options.dataDir} (run by qtc all; or set DATABASE_URL)` },
  );
}
