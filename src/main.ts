import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { startProcess } from './bootstrap/start-process';
import { configureHttpApp, createHttpAdapter } from './common/http/configure-http-app';
import { installShutdown } from './bootstrap/shutdown';
import {
  fakeWebhooksTo,
  STRIPE_SETTINGS,
  type StripeSettings,
} from './modules/stripe/stripe.module';

/** `npm start`: the HTTP API, plus the workers unless WORKERS=off. */
async function main(): Promise<void> {
  const { env, log, stop } = await startProcess('api');
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.register({ env, logger: log, workers: env.WORKERS }),
    createHttpAdapter(env),
    { bufferLogs: true, bodyParser: false },
  );
  await configureHttpApp(app, env);
  await app.listen(env.PORT, env.HOST);
  installShutdown(app, stop, log, {
    server: app.getHttpServer(),
    drainDelayMs: env.SHUTDOWN_DRAIN_DELAY_MS,
    timeoutMs: env.SHUTDOWN_TIMEOUT_MS,
  });
  // The bound port, not the setting: PORT=0 lets the OS choose one (what tests do, so that no
  // other process can take a port they picked in between).
  const { port } = app.getHttpServer().address() as AddressInfo;
  const { fake } = app.get<StripeSettings>(STRIPE_SETTINGS);
  if (fake && env.PORT === 0) fakeWebhooksTo(fake, port);
  log.info({ port, workers: env.WORKERS }, `Handoff API listening on :${port}`);
}

void main();
