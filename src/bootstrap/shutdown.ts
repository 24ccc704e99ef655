import type { INestApplicationContext } from '@nestjs/common';
import type { Logger } from 'pino';

/**
 * SIGTERM/SIGINT: stop taking work, let in-flight requests and jobs finish (Nest closes the
 * HTTP server, BullMQ workers wait for active jobs), then stop what start-up started. A second
 * signal, or the timeout, exits at once.
 */
export function installShutdown(
  app: INestApplicationContext,
  stopInfrastructure: () => Promise<void>,
  log: Logger,
  timeoutMs: number,
): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (closing) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    closing = true;
    log.info({ signal }, 'shutting down gracefully');
    const timer = setTimeout(() => {
      log.error({ timeoutMs }, 'graceful shutdown timed out; exiting');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    app
      .close()
      .then(stopInfrastructure)
      .then(() => {
        log.info('shutdown complete');
        process.exit(0);
      })
      .catch((e: unknown) => {
        log.error({ err: e }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
