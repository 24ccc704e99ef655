import { Module } from '@nestjs/common';
import { DomainMetrics } from './domain-metrics';
import { MetricsRegistry } from './metrics-registry';

/**
 * The registry and the business counters, for the modules that count events (tickets, webhooks,
 * payouts). Kept apart from MetricsModule, which reads those modules' state at scrape time, so
 * importing it creates no cycle.
 */
@Module({ providers: [MetricsRegistry, DomainMetrics], exports: [MetricsRegistry, DomainMetrics] })
export class MetricsCoreModule {}
