import type { Logger } from 'pino';

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
