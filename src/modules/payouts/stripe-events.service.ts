import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { OutboxService } from '../outbox/outbox.service';
import { STRIPE } from '../stripe/stripe.module';
import { platformEventApplied } from './stripe-event.handler';
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
  /** Events per list call in `fetchSince` (Stripe's most; tests page with fewer). */
  fetchPageSize = 100;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly events: StripeEventsRepository,
    private readonly outbox: OutboxService,
    @Inject(STRIPE) private readonly stripe: Stripe,
  ) {}

  /**
   * Stores an event Stripe sent, with its job, unless it is stored already (Stripe delivers at
   * least once); false for a duplicate.
   */
  record(event: Stripe.Event): Promise<boolean> {
    return this.db.transaction(async (em) => {
      const stored = await this.events.insertIfNew(em, event);
      if (stored) await this.outbox.enqueue(em, 'stripe.event', { eventId: event.id });
      return stored;
    });
  }

  /**
   * The platform's events of the kinds we apply that Stripe has from `since` on (it keeps 30
   * days), each recorded as if it had just arrived: after a database restore lost events
   * Stripe was answered 200 for, which it never sends again. Those we hold are left as they
   * are, and applying is idempotent, so a wide `since` costs only Stripe's list calls.
   */
  async fetchSince(since: Date): Promise<{ listed: number; stored: number }> {
    const result = { listed: 0, stored: 0 };
    const created = { gte: Math.floor(since.getTime() / 1000) };
    for await (const event of this.stripe.events.list({ created, limit: this.fetchPageSize })) {
      if (!platformEventApplied(event.type)) continue;
      result.listed += 1;
      if (await this.record(event)) result.stored += 1;
    }
    return result;
  }

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
