import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** The route label of a request no route answered (unknown path, refused before routing). */
export const UNMATCHED_ROUTE = '(unmatched)';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * HTTP requests by method, route template and status. Labels stay bounded: the route is the
 * template the router matched (`/v1/tickets/:id/resolve`), never the raw path, which holds ids.
 */
@Injectable()
export class HttpMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route' | 'status_class'>;

  constructor({ registry }: MetricsRegistry) {
    this.requests = new Counter({
      name: 'handoff_http_requests_total',
      help: 'HTTP requests answered, by method, route template and status code.',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    // By status class, not code: buckets multiply every label combination.
    this.duration = new Histogram({
      name: 'handoff_http_request_duration_seconds',
      help: 'Time from the request reaching the app to the last byte of the answer.',
      labelNames: ['method', 'route', 'status_class'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  /** Counts a request once its answer is sent (configure-http-app.ts: an onResponse hook). */
  record(request: FastifyRequest, reply: FastifyReply): void {
    const method = METHODS.has(request.method) ? request.method : 'OTHER';
    // The template Fastify matched; none when no route did (404, refused before routing).
    const route = request.is404 ? UNMATCHED_ROUTE : (request.routeOptions.url ?? UNMATCHED_ROUTE);
    const status = reply.statusCode;
    this.requests.inc({ method, route, status: String(status) });
    this.duration.observe(
      { method, route, status_class: `${Math.floor(status / 100)}xx` },
      reply.elapsedTime / 1000,
    );
  }
}
