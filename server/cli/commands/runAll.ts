// `qtc all`, `qtc api` and `qtc control`, loaded only when the command is used.
import { loadConfig } from '../../config/config.ts';
import { startCompetitionServer, type Roles } from '../../compose.ts';
import { createLogger } from '../../observability/logger.ts';
import { followParent, reportReady } from '../../roles/child.ts';
import { startControlRole } from '../../roles/control.ts';
import { startProcessTree } from '../../roles/processTree.ts';
import { startUntilSignal } from '../../shutdown.ts';

/**
 * Without `roles` (`qtc all`): the process tree of server/roles/processTree.ts (this process owns the
 * embedded services and the scheduler; the API and the tick worker run as child processes). With
 * `roles` (`qtc api`): those roles in this process. The tree's API child also runs the Git sync, so
 * webhooks and "sync now" reach it in-process.
 */
export async function runAll(roles?: Roles): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const inTree = followParent();
  const chosen = roles && inTree === 'api' ? { ...roles, control: true } : roles;
  const server = await startUntilSignal({
    logger,
    timeoutMs: config.shutdownTimeoutMs,
    start: (lifecycle) => (chosen ? startCompetitionServer(config, logger, chosen, lifecycle) : startProcessTree(config, logger, lifecycle)),
  });
  if (!server) return;
  if (inTree) reportReady({ type: 'ready', ...(server.address ? { address: server.address } : {}) });
  else logger.info({ url: server.address, roles: chosen ?? 'process tree: api and worker processes' }, `competition server ready at ${server.address ?? '(no HTTP)'}`);
}

/** `qtc control`: the registry, the Git sync and the scheduler, without HTTP or a worker (server/roles/control.ts). */
export async function runControl(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const server = await startUntilSignal({ logger, timeoutMs: config.shutdownTimeoutMs, start: (lifecycle) => startControlRole(config, logger, lifecycle) });
  if (server) logger.info({ competition: server.registry.current().competition.name }, 'control process ready: registry, Git sync and minute scheduler');
}
