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
 * (company, event) unique key makes a repeated event a no-op.
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
      const deliveryId = await this.deliveries.insertForEvent(
        em,
        event.companyId,
        event.eventId,
        type,
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
}
