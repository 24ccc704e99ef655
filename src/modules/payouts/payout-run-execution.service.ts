import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { changedRows } from '../../database/sql';
import { OutboxService } from '../outbox/outbox.service';
import { PayoutLineDto, PayoutRunDto } from './payout.dto';
import { completeRunIfDone } from './payout-run-completion';
import { LineRow, loadRun, runSummary, toLine, wrongState } from './payout-run-views';

/** Paying an approved run: execute it, send failed lines again, abandon a line for good. */
@Injectable()
export class PayoutRunExecutionService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
  ) {}

  /** Starts paying: one job per payable line, written in the same transaction. */
  async execute(actor: Actor, id: string): Promise<PayoutRunDto> {
    requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = await loadRun(em, id, true);
      if (run.status !== 'approved') throw wrongState(run, 'execute');
      const [{ payable }] = await em.query(
        `SELECT count(*)::int AS payable FROM payout_lines WHERE run_id = $1 AND status = 'pending'`,
        [id],
      );
      // Nothing to pay: the run is done now (no job would ever finish it).
      await em.query(
        `UPDATE payout_runs SET status = $2, executed_at = now(),
                completed_at = CASE WHEN $2 = 'completed' THEN now() END WHERE id = $1`,
        [id, payable === 0 ? 'completed' : 'executing'],
      );
      await this.enqueuePendingLines(em, id);
    });
    return runSummary(this.db.manager, id);
  }

  /** Sends failed lines again (same idempotency keys where a transfer may exist). */
  async retryFailed(actor: Actor, id: string): Promise<PayoutRunDto> {
    requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = await loadRun(em, id, true);
      if (run.status !== 'executing' && run.status !== 'completed_with_failures') {
        throw wrongState(run, 'retry');
      }
      const retried = await changedRows(
        em,
        // After a refusal Stripe holds no transfer for the old key (and would replay the refusal),
        // so that line gets a fresh key, and its amount is fixed again from the balance when it
        // is sent; after exhausted 429/5xx retries it keeps its key and amount, since Stripe may
        // have made the transfer and must hand the same one back.
        `UPDATE payout_lines
            SET status = 'pending', failure_code = NULL, failure_message = NULL,
                idempotency_key = CASE WHEN failure_permanent
                                       THEN 'payout-line-' || id || '-r' || attempts
                                       ELSE idempotency_key END,
                transfer_minor = CASE WHEN failure_permanent THEN NULL ELSE transfer_minor END,
                failure_permanent = false, updated_at = now()
          WHERE run_id = $1 AND status = 'failed' RETURNING id`,
        [id],
      );
      // Lines stuck in `processing` (their job died for good) are sent again too: the handler
      // first looks for a transfer Stripe already made for the line.
      const stuck = await changedRows(
        em,
        `UPDATE payout_lines SET updated_at = now()
          WHERE run_id = $1 AND status = 'processing' AND updated_at < now() - interval '10 minutes'
          RETURNING id`,
        [id],
      );
      retried.push(...stuck);
      if (retried.length === 0) return;
      await em.query(
        `UPDATE payout_runs SET status = 'executing', completed_at = NULL WHERE id = $1`,
        [id],
      );
      await this.outbox.enqueueMany(
        em,
        retried.map((r) => ({ name: 'payout.line' as const, payload: { lineId: r.id } })),
      );
    });
    return runSummary(this.db.manager, id);
  }

  /**
   * Gives up on a line Stripe refused (say, an account Stripe closed): it stops holding its agent
   * out of later runs, and its money stays available in the ledger for a later run or an
   * adjustment. Only refusals: after exhausted 429/5xx retries a transfer may exist at Stripe,
   * so such a line must be retried (the retry finds it) until it is paid or refused.
   */
  async abandon(
    actor: Actor,
    runId: string,
    lineId: string,
    reason: string,
  ): Promise<PayoutLineDto> {
    const { userId } = requireUser(actor, 'finance');
    const line = await this.db.transaction(async (em) => {
      await loadRun(em, runId, true);
      const [current]: LineRow[] = await em.query(
        'SELECT * FROM payout_lines WHERE id = $1 AND run_id = $2 FOR UPDATE',
        [lineId, runId],
      );
      if (!current) throw DomainError.notFound('Payout line');
      if (current.status !== 'failed' || !current.failure_permanent) {
        throw new DomainError(
          'PAYOUT_LINE_STATE',
          current.status === 'failed'
            ? 'This line failed on errors a retry may clear (a transfer may exist): retry it instead'
            : `A ${current.status} line cannot be abandoned; only a line Stripe refused can`,
          { status: current.status },
        );
      }
      const [abandoned] = await changedRows<LineRow>(
        em,
        `UPDATE payout_lines
            SET status = 'abandoned', abandoned_reason = $2, abandoned_by = $3,
                abandoned_at = now(), updated_at = now()
          WHERE id = $1 RETURNING *`,
        [lineId, reason.trim(), userId],
      );
      await completeRunIfDone(em, runId);
      return abandoned;
    });
    return toLine(line);
  }

  private async enqueuePendingLines(em: EntityManager, runId: string): Promise<void> {
    await this.outbox.enqueueSelect(
      em,
      'payout.line',
      `SELECT jsonb_build_object('lineId', id) FROM payout_lines
        WHERE run_id = $1 AND status = 'pending'`,
      [runId],
    );
  }
}
