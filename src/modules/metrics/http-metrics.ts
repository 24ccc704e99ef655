import type { INestApplication } from '@nestjs/common';
import { Injectable } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from './metrics-registry';

/** The route label of a request no route answered (unknown path, refused before routing). */
export const UNMATCHED_ROUTE = '(unmatched)';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * HTTP requests by method, route template and status. Labels stay bounded: the route is the
 * template Express matched (`/v1/tickets/:id/resolve`), never the raw path, which holds ids.
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

  /** Express middleware: counts the request once its answer is sent. */
  readonly middleware: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.once('finish', () => {
      const method = METHODS.has(req.method) ? req.method : 'OTHER';
      const route = routeTemplate(req);
      const status = res.statusCode;
      this.requests.inc({ method, route, status: String(status) });
      this.duration.observe(
        { method, route, status_class: `${Math.floor(status / 100)}xx` },
        Number(process.hrtime.bigint() - start) / 1e9,
      );
    });
    next();
  };
}

/**
 * The template of the route that answered, e.g. `/v1/tickets/:id/resolve`. Express sets
 * `req.route` to the last route a request matched; Nest mounts each controller route with its
 * prefix on the app's router (so baseUrl is empty), and module middleware (the request logger)
 * as a wildcard route (`/{*path}`) that every request matches first: a request that matched only
 * that matched no route.
 */
function routeTemplate(req: Request): string {
  const path = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof path !== 'string' || path.includes('*')) return UNMATCHED_ROUTE;
  return `${req.baseUrl}${path}`;
}

/** The app's request-counting middleware (configure-http-app.ts mounts it first). */
export function httpMetrics(app: INestApplication): RequestHandler {
  return app.get(HttpMetrics).middleware;
}
