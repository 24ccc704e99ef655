import { Module } from '@nestjs/common';
import { EventsModule } from '../events/events.module';
import { JobsModule } from '../jobs/jobs.module';
import { OutboxModule } from '../outbox/outbox.module';
import { PayoutsModule } from '../payouts/payouts.module';
import { HttpMetrics } from './http-metrics';
import { MetricsController } from './metrics.controller';
import { MetricsCoreModule } from './metrics-core.module';
import { StateMetrics } from './state-metrics';

/**
 * /metrics in the Prometheus format: HTTP requests (HttpMetrics, mounted by configureHttpApp),
 * business counters (DomainMetrics, incremented by the modules where things happen), and state
 * read at scrape time (StateMetrics: queues, outbox, timers, payout runs, the events sequencer). A worker process
 * serves the same registry on WORKER_METRICS_PORT (worker-metrics.server.ts).
 */
@Module({
  imports: [MetricsCoreModule, JobsModule, OutboxModule, PayoutsModule, EventsModule],
  controllers: [MetricsController],
  providers: [HttpMetrics, StateMetrics],
})
export class MetricsModule {}
