import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { EventsService } from '../events/events.service';
import { PayoutRunsRepository } from './payout-runs.repository';

/**
 * A payout run's life as events for finance (GET /v1/events, the stream): `payout_run.created`,
 * `.approved`, `.cancelled`, `.executing` (execute, or a retry of failed lines), `.completed`
 * (status `completed` or `completed_with_failures`) and `.line_failed` (a line failed for good
 * and waits for a retry or to be abandoned). Never one event per paid line: a run has up to
 * 50k. Written in the transaction that changes the run, so an event is never lost or invented.
 */
export type PayoutRunEventType =
  | 'payout_run.created'
  | 'payout_run.approved'
  | 'payout_run.cancelled'
  | 'payout_run.executing'
  | 'payout_run.completed'
  | 'payout_run.line_failed';

@Injectable()
export class PayoutRunEvents {
  constructor(
    private readonly events: EventsService,
    private readonly runs: PayoutRunsRepository,
  ) {}

  record(
    em: EntityManager,
    type: PayoutRunEventType,
    payoutRunId: string,
    data: Record<string, unknown> = {},
  ): Promise<void> {
    // Finance only: no company's and no agent's (an agent sees its own payouts elsewhere).
    return this.events.record(em, { type, finance: true, data: { payoutRunId, ...data } });
  }

  /**
   * Completes the run if no line is in flight, with its `payout_run.completed` event; true when
   * it did.
   */
  async completeIfDone(em: EntityManager, runId: string): Promise<boolean> {
    const status = await this.runs.completeIfDone(em, runId);
    if (status) await this.record(em, 'payout_run.completed', runId, { status });
    return status !== null;
  }
}
