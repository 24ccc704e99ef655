import type { INestApplicationContext } from '@nestjs/common';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { EventHub } from '../modules/events/event-hub.service';
import { ShutdownState } from '../modules/health/shutdown-state';

export interface ShutdownOptions {
  /** The HTTP server, for API processes. */
  server?: Server;
  /** How long readiness reports 503 while still serving, so balancers stop routing here. */
  drainDelayMs: number;
  /** After this long past the drain delay, give up and exit non-zero. */
  timeoutMs: number;
}

/**
 * `npm start` hands a terminal's Ctrl-C on to the service, which had it from the terminal
 * already (and a signal to the whole process group arrives twice the same way): the same
 * signal again within this long is that echo, not a second request to exit now.
 */
const ECHO_MS = 1000;

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => server.close(() => resolve()));

/**
 * Step 2 below: ends the event streams, then stops accepting and waits for in-flight requests.
 * Event streams never finish by themselves: the server would wait for them until the timeout.
 * Their clients reconnect (with Last-Event-ID) to a process still serving.
 */
export async function closeStreamsAndServer(
  app: INestApplicationContext,
  server: Server | undefined,
): Promise<void> {
  app.get(EventHub, { strict: false }).closeAll('shutdown');
  if (server) await closeServer(server);
}

/**
 * SIGTERM/SIGINT, in an order that loses no work:
 * 1. readiness turns 503 and the process keeps serving for the drain delay;
 * 2. event streams end, the HTTP server stops accepting and waits for in-flight requests;
 * 3. Nest closes modules: the outbox relay stops, BullMQ workers finish their active jobs,
 *    queues and the database pool close (Nest alone would run step 3 before step 2, pulling
 *    Redis and PostgreSQL from under requests still in flight);
 * 4. what start-up started (an embedded database) stops.
 * A second signal (not the echo of the first), or the timeout after the drain delay, exits at
 * once. The timeout is counted from the end of the drain delay, so a delay set near it still
 * leaves in-flight work its time.
 */
export function installShutdown(
  app: INestApplicationContext,
  stopInfrastructure: () => Promise<void>,
  log: Logger,
  options: ShutdownOptions,
): void {
  let first: { signal: NodeJS.Signals; at: number } | null = null;
  const shutdown = async (signal: NodeJS.Signals) => {
    if (first) {
      if (signal === first.signal && Date.now() - first.at < ECHO_MS) return;
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    first = { signal, at: Date.now() };
    log.info({ signal, drainDelayMs: options.drainDelayMs }, 'shutting down gracefully');
    try {
      app.get(ShutdownState).draining = true;
      await new Promise((r) => setTimeout(r, options.drainDelayMs));
      setTimeout(() => {
        log.error({ timeoutMs: options.timeoutMs }, 'graceful shutdown timed out; exiting');
        process.exit(1);
      }, options.timeoutMs).unref();
      await closeStreamsAndServer(app, options.server);
      await app.close();
      await stopInfrastructure();
      log.info('shutdown complete');
      process.exit(0);
    } catch (e) {
      log.error({ err: e }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', (s) => void shutdown(s));
  process.on('SIGINT', (s) => void shutdown(s));
}
