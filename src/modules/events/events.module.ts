import { Module } from '@nestjs/common';
import { HealthModule } from '../health/health.module';
import { MetricsCoreModule } from '../metrics/metrics-core.module';
import { EndStreamsHandler } from './end-streams.handler';
import { EventHub } from './event-hub.service';
import { EventSequencer } from './event-sequencer.service';
import { EventStreamsService } from './event-streams.service';
import { EventsController } from './events.controller';
import { EventsRepository } from './events.repository';
import { EventsService } from './events.service';

/**
 * The events store and its streams (issue 15). Modules that raise events import it and call
 * EventsService.record in their transaction; EventHub.endStreamsOf ends a user's streams.
 */
@Module({
  // HealthModule: whether the process drains (new streams are then refused).
  imports: [MetricsCoreModule, HealthModule],
  controllers: [EventsController],
  providers: [
    EventsRepository,
    EventsService,
    EventSequencer,
    EventHub,
    EventStreamsService,
    EndStreamsHandler,
  ],
  exports: [EventsService, EventHub],
})
export class EventsModule {}
