// Types only (erased at run time): the events speak the ticket API's vocabulary.
import type { ReleasedBy } from '../tickets/ticket-rules';
import type { Priority } from '../tickets/ticket.dto';

/**
 * The one place that names every background job, the queue it runs on and its payload type.
 * Adding a job: add it to JobPayloads and JOB_QUEUES, then write a provider decorated with
 * @JobHandler(name). Start-up fails if a job here has no handler.
 */
export const QUEUE_NAMES = ['default', 'webhooks', 'payouts', 'stripe-events', 'billing'] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export const TICKET_EVENT_TYPES = [
  'ticket.claimed',
  'ticket.released',
  'ticket.resolved',
  'ticket.reopened',
  'ticket.sla_breached',
  'ticket.message',
  'ticket.withdrawn',
  'ticket.transferred',
] as const;
export type TicketEventType = (typeof TICKET_EVENT_TYPES)[number];

/**
 * What is particular to each event type (a webhook's inner `data`), in the ticket API's words:
 * priorities as `low`…`urgent`, money as `{ amountMinor, currency }`, instants as ISO strings.
 * The webhooks module's typed examples (webhook-examples.ts, shown in docs/api.md) follow it.
 */
export interface TicketEventData {
  /** Written by write_ticket_claim (SQL): nothing beyond the ticket, agent and claim. */
  'ticket.claimed': Record<string, never>;
  'ticket.released': { releasedBy: ReleasedBy; reason: string | null };
  'ticket.resolved': {
    resolutionSummary: string;
    pay: { amountMinor: number; currency: string };
  };
  'ticket.reopened': { reason: string };
  'ticket.sla_breached': {
    slaDeadline: string;
    /** The ticket's effective priority after the breach (its `effectivePriority`). */
    priorityRaisedTo: Priority;
    /** Skill levels lowered by one so more agents qualify; `from` is the level before. */
    relaxedSkills: { skill: string; from: number; to: number }[];
  };
  /** A message to the customer (webhook: the holder's, for the bot to relay). */
  'ticket.message': {
    /** The message's id, as `id` in the REST answers. */
    id: string;
    /** The same id (the first field receivers had; the REST `messageId` is the bot's own). */
    messageId: string;
    /** The bot's own id for a message it relayed; null for an agent's. */
    botMessageId: string | null;
    /** Its place in the ticket's conversation (1, 2, 3…): deliveries can arrive out of order. */
    number: number;
    author: 'agent' | 'customer' | 'bot';
    body: string;
    sentAt: string;
  };
  /** The bot withdrew it; `paid` when the holder had written to the customer (as resolved). */
  'ticket.withdrawn': {
    reason: string;
    paid: boolean;
    pay: { amountMinor: number; currency: string } | null;
  };
  /** The holder sent it back to the queue needing these skills, with a note for the next. */
  'ticket.transferred': {
    requiredSkills: { skill: string; minLevel: number }[];
    note: string;
  };
}

/** What happened to a ticket: delivered to the company's webhook, and read by the ledger. */
export interface TicketEvent<T extends TicketEventType = TicketEventType> {
  eventId: string;
  ticketId: string;
  companyId: string;
  externalId: string;
  agentId: string | null;
  claimId: string | null;
  occurredAt: string;
  data: TicketEventData[T];
}

export interface JobPayloads {
  /** End-to-end check of outbox → relay → queue → worker (`npm run cli -- jobs:ping`). */
  'system.ping': { requestedAt: string };
  /**
   * Ends a user's event streams in every API process as of `asOf` (epoch seconds: those opened
   * with a token issued by then; EventHub.endStreamsAsOf), written by the transaction that ended
   * their access (a suspension, a logout, a refresh token used twice, a password change, a
   * sign-out everywhere): done even when the call after its commit never ran (its
   * process died) or could not reach Redis.
   */
  'events.end-streams': { subject: string; asOf: number };
  /** At a seat's check-in deadline: mark a no-show and offer the seat to the waitlist. */
  'shift-claim.no-show-check': { claimId: string };
  /** At a shift's end: complete checked-in seats and the shift. */
  'shift.complete': { shiftId: string };
  /**
   * Seats freed by a transaction that held an agent's row (a suspension, a revoked
   * certification), which cannot lock the line's agents itself: offer them to the waitlist.
   */
  'shift.promote-waitlist': { shiftId: string };
  /** At a ticket's claim deadline: if still open, mark the breach, raise it, relax skills. */
  'ticket.sla-check': { ticketId: string };
  /** A claim with no activity for HANDLE_TIMEOUT_MINUTES goes back to the queue. */
  'ticket.handle-timeout': { claimId: string };
  /** After a shift ends (or an agent checks out), its unresolved tickets go back. */
  'ticket.shift-end-release': { shiftId: string; agentId: string | null; dueAt: string };
  'ticket.claimed': TicketEvent<'ticket.claimed'>;
  'ticket.released': TicketEvent<'ticket.released'>;
  'ticket.resolved': TicketEvent<'ticket.resolved'>;
  'ticket.reopened': TicketEvent<'ticket.reopened'>;
  'ticket.sla_breached': TicketEvent<'ticket.sla_breached'>;
  'ticket.message': TicketEvent<'ticket.message'>;
  'ticket.withdrawn': TicketEvent<'ticket.withdrawn'>;
  'ticket.transferred': TicketEvent<'ticket.transferred'>;
  /**
   * Books a resolution (earning) or a reopen (its reversal) in the ledger, once per event. A
   * paid withdrawal books like a resolution (its claim was resolved with its pay fixed).
   */
  'ledger.ticket-event': {
    type: 'ticket.resolved' | 'ticket.reopened' | 'ticket.withdrawn';
    event: TicketEvent;
  };
  /** When the reopen window has passed: the earning moves from pending to available. */
  'ledger.release-earning': { claimId: string };
  /** A finance adjustment still pending approval after 7 days lapses. */
  'ledger.adjustment-expire': { adjustmentId: string };
  /** Push routing (issue 15): offer the company's open tickets to its available agents. */
  /**
   * `notBefore` (ISO): a run timed for a moment (a push shift's start), which, fired early by a
   * worker's clock ahead of the database's, waits for it instead of finding nothing live.
   */
  'offers.route': { companyId: string; notBefore?: string };
  /** An offer's reservation ends: expire it (three in a row set the agent away), route again. */
  'offer.expire': { offerId: string };
  /**
   * An agent checked out of a shift, or the company cancelled it (`agentId` null: every seat):
   * the pending offers made on that shift are withdrawn, and the router runs again.
   */
  'offers.withdraw': { shiftId: string; agentId: string | null };
  /** A closed billing period's invoice: created, filled and finalized at Stripe, then charged. */
  'billing.invoice-issue': { invoiceId: string };
  /** Charges an unpaid invoice again (the company saved a new card); `attempt` keys the call. */
  'billing.invoice-pay': { invoiceId: string; attempt: string };
  /** The company's name or billing email changed: its Stripe customer is given them. */
  'billing.customer-sync': { companyId: string };
  /**
   * An invoice Stripe marked paid without charging it (below its smallest charge) is carried
   * by us: the debit Stripe left on the customer's balance for it is taken off.
   */
  'billing.uncharged-clear': { invoiceId: string };
  /** Applies a stored Stripe event (account.updated, transfer.reversed) once. */
  'stripe.event': { eventId: string };
  /**
   * Pays one payout line through a Stripe transfer, in atomic phases; throttled. `resend`: how
   * many jobs before this one failed for good before sending it (PayoutLineHandler.gaveUp).
   */
  'payout.line': { lineId: string; resend?: number };
  /**
   * A line failed on a server error Stripe saved under its key: once the key has expired, the
   * line is pending again (same key; the line's job looks for a transfer first) and sent.
   */
  'payout.line-resend': { lineId: string };
  /**
   * One signed POST to a company's webhook; retried with backoff by the queue. `chain` is the
   * delivery's redelivery count when this job was written (0: the first); `companyId` whose
   * share of the slots it takes (absent on jobs written before it was carried).
   */
  'webhook.deliver': { deliveryId: string; chain: number; companyId?: string };
}

export type JobName = keyof JobPayloads;

export const JOB_QUEUES: { readonly [N in JobName]: QueueName } = {
  'system.ping': 'default',
  'events.end-streams': 'default',
  'shift-claim.no-show-check': 'default',
  'shift.complete': 'default',
  'shift.promote-waitlist': 'default',
  'ticket.sla-check': 'default',
  'ticket.handle-timeout': 'default',
  'ticket.shift-end-release': 'default',
  'ticket.claimed': 'default',
  'ticket.released': 'default',
  'ticket.resolved': 'default',
  'ticket.reopened': 'default',
  'ticket.sla_breached': 'default',
  'ticket.message': 'default',
  'ticket.withdrawn': 'default',
  'ticket.transferred': 'default',
  'ledger.ticket-event': 'default',
  'ledger.release-earning': 'default',
  'ledger.adjustment-expire': 'default',
  'offers.route': 'default',
  'offer.expire': 'default',
  'offers.withdraw': 'default',
  'stripe.event': 'stripe-events',
  // Their own queue: a period's close issues every company's invoice, several Stripe calls each,
  // and on `default` they held its slots for minutes while timers, offers and the ticket events
  // that reach companies' bots waited behind them.
  'billing.invoice-issue': 'billing',
  'billing.invoice-pay': 'billing',
  'billing.customer-sync': 'billing',
  'billing.uncharged-clear': 'billing',
  'payout.line': 'payouts',
  'payout.line-resend': 'payouts',
  'webhook.deliver': 'webhooks',
};

export const JOB_NAMES = Object.keys(JOB_QUEUES) as JobName[];

/**
 * Jobs whose payload stays in its outbox row: Redis gets the job's name and id alone, and the
 * dispatcher reads the payload back from the row before the handler runs. These carry what
 * customers wrote and what agents wrote about them (a message's body, a resolution's summary, a
 * reason), which Redis would otherwise keep a day after the job and two weeks after a failure,
 * outside the database's access control, backups policy and deletion.
 */
export const PAYLOAD_IN_OUTBOX: ReadonlySet<JobName> = new Set<JobName>([
  ...TICKET_EVENT_TYPES,
  'ledger.ticket-event',
]);

/**
 * The delayed jobs that act at a moment (timers). One that exhausts its retries is found by the
 * worker's TimerSweep, re-armed a few times, then reported; the metrics count them.
 */
export const TIMER_JOB_NAMES = [
  'shift-claim.no-show-check',
  'shift.complete',
  'ticket.sla-check',
  'ticket.handle-timeout',
  'ticket.shift-end-release',
  'ledger.release-earning',
  'ledger.adjustment-expire',
  'offer.expire',
  // Run again a day after Stripe saved a server error under a call's key (and, for the
  // invoice, at each period's close): a line or an invoice whose job failed for good would
  // otherwise wait for ever. Both re-check their state and act at most once.
  'payout.line-resend',
  'billing.invoice-issue',
  // Until it has run, the company's next invoice in that currency stops at the balance left.
  'billing.uncharged-clear',
  // Books a resolution's earning and charge (or a reopen's reversal). One that failed for good
  // (an outage longer than its retries) would leave the agent unpaid and the company unbilled:
  // re-armed like a timer (and the ledger's integrity check lists what stays unbooked, which
  // finance can book). It locks the claim and posts under keys of the claim, so a late or
  // repeated run books once.
  'ledger.ticket-event',
] as const satisfies readonly JobName[];
export type TimerJobName = (typeof TIMER_JOB_NAMES)[number];
