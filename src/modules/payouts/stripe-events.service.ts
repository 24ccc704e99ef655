import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { OutboxService } from '../outbox/outbox.service';
import { StripeEventsRepository } from './stripe-events.repository';

/**
 * The Stripe events we stored and have not applied: one whose job gave up (after ~9 h of
 * retries) stays unprocessed, and Stripe will not send it again (we answered 200). Metrics
 * report them (HandoffStripeEventsUnapplied), and an operator sends them again once the cause
 * is fixed (`npm run cli -- stripe:replay`); applying is idempotent (the event's row lock and
 * `processed_at`), so replaying an event that is still in its retries applies it once.
 */
@Injectable()
export class StripeEventsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: StripeEventsRepository,
    private readonly outbox: OutboxService,
  ) {}

  unprocessed(): Promise<{ count: number; oldestAgeSeconds: number }> {
    return this.events.unprocessed(this.db.manager);
  }

  /** Sends every event not applied yet to its job again; returns how many. */
  replayUnprocessed(): Promise<number> {
    return this.db.transaction(async (em) => {
      const ids = await this.events.unprocessedIds(em);
      await this.outbox.enqueueMany(
        em,
        ids.map((eventId) => ({ name: 'stripe.event', payload: { eventId } })),
      );
      return ids.length;
    });
  }
}
