import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Job } from 'bullmq';
import { DataSource } from 'typeorm';
import { HandlesJob, JobHandler } from '../jobs/job-handler';
import { TICKET_EVENT_TYPES, TicketEvent, TicketEventType } from '../jobs/job-registry';
import { OutboxService, outboxRowId } from '../outbox/outbox.service';
import { WebhookDeliveriesRepository } from './webhook-deliveries.repository';
import { ticketWebhookPayload } from './webhook-payload';

/**
 * Turns each ticket event into a delivery for the company's webhook, if it has one. The
 * (company, event) unique key makes a repeated event a no-op, so running it again (a stalled
 * job, a retry from the dashboard, gaveUp beside either) never makes a second delivery.
 */
@Injectable()
@JobHandler(...TICKET_EVENT_TYPES)
export class WebhookFanOutHandler implements HandlesJob<TicketEventType> {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly deliveries: WebhookDeliveriesRepository,
  ) {}

  handle(event: TicketEvent, job: Job): Promise<{ deliveryId: string | null }> {
    const type = job.name as TicketEventType; // registered for the ticket event types only
    // Every ticket event is an outbox row (emitTicketEvent, write_ticket_claim): its id orders
    // the ticket's events.
    const rowId = outboxRowId(String(job.id));
    if (rowId === null) throw new Error(`ticket event job ${String(job.id)} is not an outbox row`);
    const payload = ticketWebhookPayload(type, event, Number(rowId));
    return this.db.transaction(async (em) => {
      // The row's time rather than the payload's occurredAt, as the endpoint's is the
      // database's clock; the payload's when the row is gone (a job an older release queued
      // with its payload, its row pruned since).
      const happenedAt = (await this.outbox.writtenAtOfRow(em, rowId)) ?? event.occurredAt;
      const deliveryId = await this.deliveries.insertForEvent(
        em,
        event.companyId,
        { id: event.eventId, type, happenedAt },
        JSON.stringify(payload),
      );
      if (!deliveryId) return { deliveryId: null };
      await this.outbox.enqueue(em, 'webhook.deliver', {
        deliveryId,
        chain: 0,
        companyId: event.companyId,
      });
      return { deliveryId };
    });
  }

  /**
   * The job failed for good (its ~9 h of retries ran out: the database away, or refusing the
   * write, that long). No delivery records the event, so the company's webhook would never get
   * it and neither its delivery log nor a webhook.failing would say so: the sweep makes the
   * delivery now, and again at each sweep until it can. True when it made one.
   */
  async gaveUp(event: TicketEvent, job: Job): Promise<boolean> {
    // A job added by hand (not an outbox row) fails the same way every time: nothing to settle.
    if (outboxRowId(String(job.id)) === null) return false;
    return (await this.handle(event, job)).deliveryId !== null;
  }
}
