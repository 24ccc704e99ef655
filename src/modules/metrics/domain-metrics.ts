import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { DELIVERY_ERROR_KINDS, DeliveryErrorKind } from '../webhooks/webhook-delivery-error';
import { MetricsRegistry } from './metrics-registry';

/** How an agent got a ticket: claim-next, or a claim of one ticket by id. */
export type ClaimPath = 'next' | 'by_id';

/**
 * What happened in the business, counted where it happens and only after its transaction
 * committed (a rolled-back claim is no claim). Counters are per process: the API counts claims
 * and resolutions, the workers SLA breaches, webhook failures and payout lines; sum them over
 * processes in PromQL. Every label value is from a fixed list, created at zero, so rate() and
 * alerts see the series before the first event.
 */
@Injectable()
export class DomainMetrics {
  private readonly claims: Counter<'path'>;
  private readonly resolutions: Counter;
  private readonly slaBreaches: Counter;
  private readonly webhookFailures: Counter<'kind' | 'final'>;
  private readonly webhookDeferrals: Counter;
  private readonly payoutLines: Counter<'outcome'>;
  private readonly eventStreams: Gauge;

  constructor({ registry }: MetricsRegistry) {
    const registers = [registry];
    this.claims = new Counter({
      name: 'handoff_ticket_claims_total',
      help: 'Tickets claimed by agents, by how (claim-next or by id).',
      labelNames: ['path'],
      registers,
    });
    this.resolutions = new Counter({
      name: 'handoff_ticket_resolutions_total',
      help: 'Tickets resolved by agents.',
      registers,
    });
    this.slaBreaches = new Counter({
      name: 'handoff_ticket_sla_breaches_total',
      help: 'Tickets whose claim deadline passed while still open.',
      registers,
    });
    this.webhookFailures = new Counter({
      name: 'handoff_webhook_delivery_failures_total',
      help: 'Failed webhook delivery attempts, by error kind; final="true" when no retry follows.',
      labelNames: ['kind', 'final'],
      registers,
    });
    this.webhookDeferrals = new Counter({
      name: 'handoff_webhook_deliveries_deferred_total',
      help: 'Webhook deliveries put back for a moment: their company held its share of the slots.',
      registers,
    });
    this.payoutLines = new Counter({
      name: 'handoff_payout_lines_total',
      help: 'Payout lines finished by the workers: paid, or failed (waiting for finance).',
      labelNames: ['outcome'],
      registers,
    });
    this.eventStreams = new Gauge({
      name: 'handoff_event_streams_open',
      help: 'Event streams (GET /v1/events/stream) open on this process.',
      registers,
    });
    for (const path of ['next', 'by_id']) this.claims.inc({ path }, 0);
    this.resolutions.inc(0);
    this.slaBreaches.inc(0);
    this.webhookDeferrals.inc(0);
    for (const kind of DELIVERY_ERROR_KINDS) {
      for (const final of ['true', 'false']) this.webhookFailures.inc({ kind, final }, 0);
    }
    for (const outcome of ['paid', 'failed']) this.payoutLines.inc({ outcome }, 0);
  }

  ticketClaimed(path: ClaimPath): void {
    this.claims.inc({ path });
  }

  ticketResolved(): void {
    this.resolutions.inc();
  }

  slaBreached(): void {
    this.slaBreaches.inc();
  }

  /** One failed attempt; `final` when the delivery is now failed for good. */
  webhookDeliveryFailed(kind: DeliveryErrorKind, final: boolean): void {
    this.webhookFailures.inc({ kind, final: String(final) });
  }

  /** A delivery waits: its company already holds WEBHOOK_CONCURRENCY_PER_COMPANY slots here. */
  webhookDeliveryDeferred(): void {
    this.webhookDeferrals.inc();
  }

  payoutLineFinished(outcome: 'paid' | 'failed'): void {
    this.payoutLines.inc({ outcome });
  }

  eventStreamOpened(): void {
    this.eventStreams.inc();
  }

  eventStreamClosed(): void {
    this.eventStreams.dec();
  }
}
