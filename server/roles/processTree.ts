// `qtc all` as a tree of processes: the HTTP API and the tick worker each get their own event loop, so
// API load cannot delay a minute (issue 11: 200 connections on /leaderboard took a tick from 46 ms to
// 866 ms when both shared one loop). The parent owns the embedded Postgres and Redis and the minute
// scheduler, supervises its children (the very code `qtc api` and `qtc worker` run), restarts one that
// dies, and stops them all, then the databases, on Ctrl-C / SIGTERM.
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import type { Logger } from 'pino';
import { startCompetitionServer, type CompetitionServer, type Roles } from '../compose.ts';
import type { Config } from '../config/config.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { TREE_ROLE_ENV, type ChildMessage, type TreeRole } from './child.ts';
import { startMinuteScheduler } from './minuteScheduler.ts';

/** The parent: embedded services (started or adopted, stopped on exit) and the registry; no HTTP, no worker. */
export const PARENT_ROLES: Roles = { http: false, control: false, ticks: false, embedded: 'run' };

const BIN = path.resolve(import.meta.dirname, '../../bin/qtc.js');
const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;
/** A child that ran this long before dying is restarted after the shortest delay again. */
const HEALTHY_AFTER_MS = 60_000;
/** The API's niceness (0 = the worker's): under API load the tick keeps its CPU share. */
const API_NICENESS = 10;
/** The worker's, where the process may raise priorities: the minute also wins over Postgres and Redis serving the API. */
const WORKER_NICENESS = -5;

interface SupervisedChild {
  /** Resolves with the first 'ready' message of the current incarnation. */
  ready: Promise<ChildMessage>;
  stop(timeoutMs: number): Promise<void>;
}

function superviseChild(role: TreeRole, logger: Logger): SupervisedChild {
  const log = logger.child({ component: 'process-tree', role });
  let child: ChildProcess | undefined;
  let stopping = false;
  let restartTimer: NodeJS.Timeout | undefined;
  let delay = RESTART_MIN_MS;
  let firstReady!: (message: ChildMessage) => void;
  let firstFailed!: (error: Error) => void;
  let everReady = false;
  const ready = new Promise<ChildMessage>((resolve, reject) => {
    firstReady = resolve;
    firstFailed = reject;
  });
  ready.catch(() => undefined);

  const start = () => {
    const startedAt = Date.now();
    // Its own process group: a terminal's Ctrl-C reaches the parent only, which stops the children in order.
    const current = spawn(process.execPath, ['--no-node-snapshot', BIN, role], {
      env: { ...process.env, [TREE_ROLE_ENV]: role },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
    });
    child = current;
    // The minute comes first: on a busy machine the scheduler gives the worker the CPU before the API.
    if (current.pid !== undefined) {
      try {
        os.setPriority(current.pid, role === 'api' ? API_NICENESS : WORKER_NICENESS);
      } catch {
        // Raising a priority needs privileges (root or CAP_SYS_NICE): without them the worker stays at 0.
        if (role === 'api') log.warn({ pid: current.pid }, 'could not lower the api process priority');
      }
    }
    log.info({ pid: current.pid }, `started the ${role} process`);
    current.on('message', (message: ChildMessage) => {
      if (message?.type !== 'ready') return;
      if (!everReady) {
        everReady = true;
        firstReady(message);
      } else log.info({ pid: current.pid }, `the ${role} process is serving again`);
    });
    current.on('error', (error) => log.error({ err: error }, `the ${role} process could not be started`));
    current.once('exit', (code, signal) => {
      if (child === current) child = undefined;
      if (stopping) return;
      // Before its first start-up completed, a failing child is a failed start of the whole tree.
      if (!everReady && code !== null && code !== 0) {
        firstFailed(new Error(`the ${role} process exited with code ${String(code)} during start-up`));
        return;
      }
      if (Date.now() - startedAt > HEALTHY_AFTER_MS) delay = RESTART_MIN_MS;
      log.error({ pid: current.pid, code, signal, restartInMs: delay }, `the ${role} process exited; restarting it`);
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        if (!stopping) start();
      }, delay);
      delay = Math.min(RESTART_MAX_MS, delay * 2);
    });
  };
  start();

  return {
    ready,
    stop: async (timeoutMs) => {
      stopping = true;
      clearTimeout(restartTimer);
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      current.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const late = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), timeoutMs)))]);
      clearTimeout(timer);
      if (late) {
        log.warn({ pid: current.pid, timeoutMs }, `the ${role} process did not stop in time; killing its process group`);
        try {
          process.kill(-current.pid!, 'SIGKILL');
        } catch {
          current.kill('SIGKILL');
        }
        await exited;
      }
    },
  };
}

/**
 * Starts `qtc all` as a process tree. Everything is registered on `lifecycle`, released in reverse:
 * the scheduler stops adding minutes, then the API and the worker stop, then the databases.
 */
export async function startProcessTree(config: Config, logger: Logger, lifecycle: Lifecycle): Promise<CompetitionServer> {
  const server = await startCompetitionServer(config, logger, PARENT_ROLES, lifecycle);
  // Children stop with a margin inside the parent's own shutdown deadline.
  const childTimeoutMs = Math.max(1_000, Math.floor(config.shutdownTimeoutMs * 0.8));

  const children: SupervisedChild[] = [];
  lifecycle.onClose('worker and api processes', async () => {
    await Promise.all(children.map((child) => child.stop(childTimeoutMs)));
  });
  const worker = superviseChild('worker', logger);
  children.push(worker);
  const api = superviseChild('api', logger);
  children.push(api);

  await startMinuteScheduler(config, server, logger, lifecycle);

  // Stops waiting when a signal asks the start-up to stop.
  const aborted = new Promise<never>((_, reject) => {
    const fail = () => reject(new Error('stopped during start-up (waiting for the api process)'));
    if (lifecycle.signal.aborted) fail();
    else lifecycle.signal.addEventListener('abort', fail, { once: true });
  });
  aborted.catch(() => undefined);
  const [apiReady] = await Promise.race([Promise.all([api.ready, worker.ready]), aborted]);
  return { ...server, address: apiReady.address };
}
