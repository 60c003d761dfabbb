import type { Logger } from 'pino';
import { Lifecycle } from './lifecycle.ts';

/**
 * Stops the process cleanly on SIGINT / SIGTERM: runs `close`, exits 0 when it went well, 1 when
 * it failed or took longer than `timeoutMs`. A second signal more than a second after the first
 * exits at once (npm forwards a terminal's Ctrl-C too, so one key press can arrive twice).
 */
export function stopOnSignals(options: { logger: Logger; timeoutMs: number; close: () => Promise<boolean> }): void {
  const { logger } = options;
  let stoppingSince: number | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stoppingSince !== undefined) {
      if (Date.now() - stoppingSince < 1_000) return;
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stoppingSince = Date.now();
    logger.info({ signal }, 'shutting down');
    const forced = setTimeout(() => {
      logger.error({ timeoutMs: options.timeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, options.timeoutMs);
    forced.unref();
    void options.close().then(
      (clean) => {
        logger.info('stopped');
        process.exit(clean ? 0 : 1);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

/**
 * Starts a long-running command (`qtc all`, `api`, `worker`) with the signal handling already in
 * place. Installed only after start-up, a signal during start-up met Node's default handler, which
 * killed the process at once and left the embedded Postgres and Redis running; and `qtc all`
 * answered /health a moment before its handlers existed, so an early Ctrl-C did the same.
 * Now a signal asks the start-up to stop (Lifecycle.onClose throws from then on), waits for it to
 * unwind, and releases whatever had started. Resolves to `undefined` when a signal stopped the
 * start-up (the handler then exits); rejects, with everything released, when the start-up failed.
 */
export async function startUntilSignal<T>(options: { logger: Logger; timeoutMs: number; start: (lifecycle: Lifecycle) => Promise<T> }): Promise<T | undefined> {
  const { logger } = options;
  const lifecycle = new Lifecycle();
  let startup: Promise<unknown> = Promise.resolve();
  stopOnSignals({
    logger,
    timeoutMs: options.timeoutMs,
    close: async () => {
      lifecycle.requestStop();
      await startup.catch(() => undefined);
      const failures = await lifecycle.closeAll();
      for (const failure of failures) logger.error({ err: failure.error, resource: failure.name }, 'error while shutting down');
      return failures.length === 0;
    },
  });
  const started = options.start(lifecycle);
  startup = started;
  try {
    return await started;
  } catch (error) {
    await lifecycle.closeAll();
    if (lifecycle.stopping) return undefined;
    throw error;
  }
}
