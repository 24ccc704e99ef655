import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { startProcess } from './bootstrap/start-process';
import { installShutdown } from './bootstrap/shutdown';
import { serveWorkerMetrics } from './modules/metrics/worker-metrics.server';

/** `npm run start:worker`: queue workers and the outbox relay, no HTTP. */
async function main(): Promise<void> {
  const { env, log, stop } = await startProcess('worker');
  const app = await NestFactory.createApplicationContext(
    AppModule.register({ env, logger: log, workers: true, http: false }),
    { bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  await app.init();
  // /metrics on WORKER_METRICS_PORT when set: the API port does not see this process's counters.
  const metricsServer = await serveWorkerMetrics(app, env, log);
  installShutdown(app, stop, log, {
    server: metricsServer,
    drainDelayMs: 0,
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  });
  log.info('Handoff worker started');
}

void main();
