import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * prom-client's gauges that break Prometheus' naming rule (`promtool check metrics`: "non-counter
 * metrics should not have _total suffix"). Nothing is lost: the same counts by type are in
 * nodejs_active_handles, nodejs_active_requests and nodejs_active_resources.
 */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * This app's Prometheus registry. One per Nest app, never prom-client's global one: tests start
 * several apps in one process, and a shared registry would refuse the second app's metrics
 * ("already registered") or mix the apps' values. Node's own process metrics (CPU, memory, event
 * loop lag, GC) keep their standard unprefixed names, so stock Node.js dashboards work.
 */
@Injectable()
export class MetricsRegistry {
  readonly registry = new Registry();
  private scrapes = 0;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Which scrape is being collected: gauges fed by one query share it within a scrape. */
  get scrape(): number {
    return this.scrapes;
  }

  /** The scrape, in the Prometheus text format. */
  metrics(): Promise<string> {
    this.scrapes += 1;
    return this.registry.metrics();
  }
}
