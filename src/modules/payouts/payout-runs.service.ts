import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { Env } from '../../config/env.validation';
import { STRIPE_SETTINGS, StripeSettings } from '../stripe/stripe.module';
import {
  CreatePayoutRunDto,
  PayoutRunDetailDto,
  PayoutRunDto,
  PayoutRunsQueryDto,
} from './payout.dto';
import {
  LineRow,
  loadRun,
  RunRow,
  runSummary,
  runTotals,
  toLine,
  toRun,
  wrongState,
} from './payout-run-views';

/**
 * Finance's payout runs: draft (one line per agent with money available at the cutoff, or the
 * reason it is held), approve (someone else), cancel, read, export. (Paying them:
 * PayoutRunExecutionService; reconciliation against Stripe: PayoutReconciliationService.)
 */
@Injectable()
export class PayoutRunsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly config: ConfigService<Env, true>,
    @Inject(STRIPE_SETTINGS) private readonly stripe: StripeSettings,
  ) {}

  async create(actor: Actor, input: CreatePayoutRunDto): Promise<PayoutRunDetailDto> {
    const { userId } = requireUser(actor, 'finance');
    const cutoff = input.cutoff ? new Date(input.cutoff) : new Date();
    if (cutoff.getTime() > Date.now()) {
      throw DomainError.validation([
        { field: 'cutoff', messages: ['cutoff must not be in the future'] },
      ]);
    }
    const minimum = this.config.get('PAYOUT_MINIMUM_MINOR', { infer: true });
    const id = await this.db.transaction(async (em) => {
      const [run]: { id: string }[] = await em.query(
        `INSERT INTO payout_runs (currency, cutoff, created_by, stripe_mode)
         VALUES ($1, $2, $3, $4) RETURNING id`,
        [input.currency, cutoff, userId, this.stripe.mode],
      );
      // What each agent may be paid: what was available at the cutoff (earnings and
      // adjustments up to the cutoff, minus every payout ever made, whatever its date), but never
      // more than is available now. A negative current balance is shown, held. Every other agent
      // with something to pay gets a line, payable or held with the reason.
      await em.query(
        `WITH sums AS (
           SELECT a.owner_id AS agent_id,
                  -sum(l.amount_minor) AS current,
                  -coalesce(sum(l.amount_minor) FILTER (
                     WHERE e.created_at <= $3 OR e.kind IN ('payout', 'payout_reversal')), 0) AS at_cutoff
             FROM journal_lines l
             JOIN ledger_accounts a ON a.id = l.account_id
             JOIN journal_entries e ON e.id = l.entry_id
            WHERE a.code = 'agent_available' AND a.currency = $2
            GROUP BY a.owner_id),
         balances AS (
           SELECT agent_id,
                  CASE WHEN current < 0 THEN current ELSE least(current, at_cutoff) END AS available
             FROM sums
            WHERE current < 0 OR least(current, at_cutoff) > 0),
         lines AS (
           SELECT gen_random_uuid() AS id, b.agent_id, b.available, pa.stripe_account_id,
                  CASE WHEN EXISTS (
                         SELECT 1 FROM payout_lines o JOIN payout_runs r ON r.id = o.run_id
                          WHERE o.agent_id = b.agent_id AND o.currency = $2
                            AND o.status IN ('pending', 'processing', 'failed')
                            AND r.status <> 'cancelled') THEN 'unsettled_line'
                       WHEN pa.agent_id IS NULL THEN 'no_account'
                       WHEN NOT pa.payouts_enabled THEN 'payouts_disabled'
                       WHEN b.available < 0 THEN 'negative_balance'
                       WHEN b.available < $4 THEN 'below_minimum' END AS held_reason
             FROM balances b LEFT JOIN payout_accounts pa ON pa.agent_id = b.agent_id)
         INSERT INTO payout_lines (id, run_id, agent_id, stripe_account_id, amount_minor, currency,
                                   status, held_reason, idempotency_key)
         SELECT id, $1, agent_id, stripe_account_id, available, $2,
                CASE WHEN held_reason IS NULL THEN 'pending' ELSE 'held' END, held_reason,
                'payout-line-' || id
           FROM lines`,
        [run.id, input.currency, cutoff, minimum],
      );
      return run.id;
    });
    return this.get(actor, id);
  }

  async list(actor: Actor, query: PayoutRunsQueryDto): Promise<Page<PayoutRunDto>> {
    requireUser(actor, 'finance');
    const after = decodeCursor(query.cursor, ['instant', 'uuid']);
    const rows: RunRow[] = await this.db.query(
      `SELECT * FROM payout_runs
        WHERE ($1::text IS NULL OR status = $1)
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC LIMIT $4`,
      [query.status ?? null, after?.[0] ?? null, after?.[1] ?? null, query.limit + 1],
    );
    const page = toPage(
      rows,
      query.limit,
      (r) => r,
      (r) => [r.created_at.toISOString(), r.id],
    );
    const totals = await runTotals(
      this.db.manager,
      page.items.map((r) => r.id),
    );
    return { items: page.items.map((r) => toRun(r, totals)), nextCursor: page.nextCursor };
  }

  async get(actor: Actor, id: string): Promise<PayoutRunDetailDto> {
    requireUser(actor, 'finance');
    const run = await loadRun(this.db.manager, id);
    const lines: LineRow[] = await this.db.query(
      'SELECT * FROM payout_lines WHERE run_id = $1 ORDER BY status, amount_minor DESC, id',
      [id],
    );
    return {
      ...toRun(run, await runTotals(this.db.manager, [id])),
      lines: lines.map(toLine),
    };
  }

  /**
   * Maker-checker: approved by a finance user other than the one who drafted it. A run with no
   * line to pay (every one held) has nothing to approve: cancel it and draft again later.
   */
  async approve(actor: Actor, id: string): Promise<PayoutRunDto> {
    const { userId } = requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = await loadRun(em, id, true);
      if (run.status !== 'draft') throw wrongState(run, 'approve');
      if (run.created_by === userId) {
        throw new DomainError(
          'FORBIDDEN',
          'A run must be approved by someone other than its creator',
        );
      }
      const [payable]: unknown[] = await em.query(
        `SELECT 1 FROM payout_lines WHERE run_id = $1 AND status = 'pending' LIMIT 1`,
        [id],
      );
      if (!payable) {
        throw new DomainError(
          'RUN_HAS_NOTHING_TO_PAY',
          'Every line of this run is held: there is nothing to approve (cancel it instead)',
        );
      }
      await em.query(
        `UPDATE payout_runs SET status = 'approved', approved_by = $2, approved_at = now() WHERE id = $1`,
        [id, userId],
      );
    });
    return runSummary(this.db.manager, id);
  }

  async cancel(actor: Actor, id: string): Promise<PayoutRunDto> {
    requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = await loadRun(em, id, true);
      if (run.status !== 'draft' && run.status !== 'approved') throw wrongState(run, 'cancel');
      await em.query(
        `UPDATE payout_runs SET status = 'cancelled', cancelled_at = now() WHERE id = $1`,
        [id],
      );
    });
    return runSummary(this.db.manager, id);
  }

  async csv(actor: Actor, id: string): Promise<string> {
    const run = await this.get(actor, id);
    const cell = (v: unknown) => {
      const s =
        v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v);
      return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const header = [
      'line_id',
      'agent_id',
      'stripe_account_id',
      'amount_minor',
      'transfer_minor',
      'currency',
      'status',
      'held_reason',
      'stripe_transfer_id',
      'attempts',
      'failure_code',
      'failure_message',
      'paid_at',
      'abandoned_reason',
    ];
    const rows = run.lines.map((l) =>
      [
        l.id,
        l.agentId,
        l.stripeAccountId,
        l.amountMinor,
        l.transferMinor,
        l.currency,
        l.status,
        l.heldReason,
        l.stripeTransferId,
        l.attempts,
        l.failureCode,
        l.failureMessage,
        l.paidAt,
        l.abandonedReason,
      ]
        .map(cell)
        .join(','),
    );
    return [header.join(','), ...rows].join('\n') + '\n';
  }
}
