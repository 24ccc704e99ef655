import type { INestApplicationContext } from '@nestjs/common';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Env } from '../../config/env.validation';
import { METRICS_CHALLENGE, metricsAccess } from './metrics-access';
import { MetricsRegistry } from './metrics-registry';

/**
 * A worker process has no HTTP app, so its counters (SLA breaches, webhook failures, payout
 * lines…) would be unseen: when WORKER_METRICS_PORT is set it serves GET /metrics there, with the
 * API's rules (METRICS_TOKEN; 404 without one, 401 with a wrong one) and the same registry.
 * Nothing else is served. Returns the server (for shutdown), or undefined when not configured.
 */
export async function serveWorkerMetrics(
  app: INestApplicationContext,
  env: Env,
  log: Logger,
): Promise<Server | undefined> {
  if (env.WORKER_METRICS_PORT === undefined) return undefined;
  if (!env.METRICS_TOKEN)
    log.warn('WORKER_METRICS_PORT is set without METRICS_TOKEN: /metrics answers 404');
  const metrics = app.get(MetricsRegistry);
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    const access = metricsAccess(env.METRICS_TOKEN, req.headers.authorization);
    const answer = (status: number, headers: Record<string, string>, body: string) => {
      res.writeHead(status, { 'Cache-Control': 'no-store', ...headers }).end(body);
    };
    const error = (status: number, code: string, message: string) =>
      answer(
        status,
        { 'Content-Type': 'application/json' },
        JSON.stringify({ error: { code, message, details: null } }),
      );
    if (path !== '/metrics' || req.method !== 'GET' || access === 'absent') {
      error(404, 'NOT_FOUND', `Cannot ${req.method} ${path}`);
    } else if (access === 'refused') {
      res.setHeader('WWW-Authenticate', METRICS_CHALLENGE);
      error(401, 'UNAUTHENTICATED', 'A valid metrics token is required');
    } else {
      metrics.metrics().then(
        (body) => answer(200, { 'Content-Type': metrics.contentType }, body),
        (e: unknown) => {
          log.error({ err: e }, 'metrics scrape failed');
          error(500, 'INTERNAL', 'The metrics could not be read');
        },
      );
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.WORKER_METRICS_PORT, env.HOST, () => resolve());
  });
  log.info({ port: (server.address() as AddressInfo).port }, 'worker metrics on /metrics');
  return server;
}
