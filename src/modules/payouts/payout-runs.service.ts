import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { changedRows } from '../../database/sql';
import { Env } from '../../config/env.validation';
import { OutboxService } from '../outbox/outbox.service';
import {
  CreatePayoutRunDto,
  PayoutLineDto,
  PayoutRunDetailDto,
  PayoutRunDto,
  PayoutRunsQueryDto,
} from './payout.dto';

interface RunRow {
  id: string;
  currency: string;
  cutoff: Date;
  status: string;
  created_by: string;
  approved_by: string | null;
  created_at: Date;
  approved_at: Date | null;
  executed_at: Date | null;
  completed_at: Date | null;
  cancelled_at: Date | null;
}

interface LineRow {
  id: string;
  agent_id: string;
  stripe_account_id: string | null;
  amount_minor: string;
  currency: string;
  status: string;
  held_reason: string | null;
  stripe_transfer_id: string | null;
  attempts: number;
  failure_code: string | null;
  failure_message: string | null;
  reversed_minor: string;
  paid_at: Date | null;
}

const toLine = (l: LineRow): PayoutLineDto => ({
  id: l.id,
  agentId: l.agent_id,
  stripeAccountId: l.stripe_account_id,
  amountMinor: Number(l.amount_minor),
  currency: l.currency,
  status: l.status,
  heldReason: l.held_reason,
  stripeTransferId: l.stripe_transfer_id,
  attempts: l.attempts,
  failureCode: l.failure_code,
  failureMessage: l.failure_message,
  reversedMinor: Number(l.reversed_minor),
  paidAt: l.paid_at,
});

const TOTALS_SQL = `
  SELECT run_id,
         count(*) FILTER (WHERE status <> 'held')::int AS payable_lines,
         coalesce(sum(amount_minor) FILTER (WHERE status <> 'held'), 0) AS payable_minor,
         count(*) FILTER (WHERE status = 'held')::int AS held_lines,
         coalesce(sum(amount_minor) FILTER (WHERE status = 'held'), 0) AS held_minor,
         count(*) FILTER (WHERE status = 'paid')::int AS paid_lines,
         coalesce(sum(amount_minor) FILTER (WHERE status = 'paid'), 0) AS paid_minor,
         count(*) FILTER (WHERE status = 'failed')::int AS failed_lines,
         count(*) FILTER (WHERE status IN ('pending', 'processing'))::int AS in_flight_lines
    FROM payout_lines WHERE run_id = ANY($1) GROUP BY run_id`;

/**
 * Finance's payout runs: draft (one line per agent with money available at the cutoff, or the
 * reason it is held), approve (someone else), execute (one throttled job per line), retry the
 * failures, export. (Reconciliation against Stripe: PayoutReconciliationService.)
 */
@Injectable()
export class PayoutRunsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly outbox: OutboxService,
    private readonly config: ConfigService<Env, true>,
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
        `INSERT INTO payout_runs (currency, cutoff, created_by) VALUES ($1, $2, $3) RETURNING id`,
        [input.currency, cutoff, userId],
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
    const totals = await this.totals(
      this.db.manager,
      page.items.map((r) => r.id),
    );
    return { items: page.items.map((r) => this.toRun(r, totals)), nextCursor: page.nextCursor };
  }

  async get(actor: Actor, id: string): Promise<PayoutRunDetailDto> {
    requireUser(actor, 'finance');
    const run = await this.load(this.db.manager, id);
    const lines: LineRow[] = await this.db.query(
      'SELECT * FROM payout_lines WHERE run_id = $1 ORDER BY status, amount_minor DESC, id',
      [id],
    );
    return {
      ...this.toRun(run, await this.totals(this.db.manager, [id])),
      lines: lines.map(toLine),
    };
  }

  /** Maker-checker: approved by a finance user other than the one who drafted it. */
  async approve(actor: Actor, id: string): Promise<PayoutRunDto> {
    const { userId } = requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = await this.load(em, id, true);
      if (run.status !== 'draft') throw this.wrongState(run, 'approve');
      if (run.created_by === userId) {
        throw new DomainError(
          'FORBIDDEN',
          'A run must be approved by someone other than its creator',
        );
      }
      await em.query(
        `UPDATE payout_runs SET status = 'approved', approved_by = $2, approved_at = now() WHERE id = $1`,
        [id, userId],
      );
    });
    return this.summary(id);
  }

  async cancel(actor: Actor, id: string): Promise<PayoutRunDto> {
    requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = await this.load(em, id, true);
      if (run.status !== 'draft' && run.status !== 'approved') throw this.wrongState(run, 'cancel');
      await em.query(
        `UPDATE payout_runs SET status = 'cancelled', cancelled_at = now() WHERE id = $1`,
        [id],
      );
    });
    return this.summary(id);
  }

  /** Starts paying: one job per payable line, written in the same transaction. */
  async execute(actor: Actor, id: string): Promise<PayoutRunDto> {
    requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = await this.load(em, id, true);
      if (run.status !== 'approved') throw this.wrongState(run, 'execute');
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
      await this.enqueueLines(em, id, 'pending');
    });
    return this.summary(id);
  }

  /** Sends failed lines again (same idempotency keys: nothing is paid twice). */
  async retryFailed(actor: Actor, id: string): Promise<PayoutRunDto> {
    requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = await this.load(em, id, true);
      if (run.status !== 'executing' && run.status !== 'completed_with_failures') {
        throw this.wrongState(run, 'retry');
      }
      const retried = await changedRows(
        em,
        // After a refusal Stripe holds no transfer for the old key (and would replay the refusal),
        // so that line gets a fresh key; after exhausted 429/5xx retries it keeps its key, since
        // Stripe may have made the transfer and must hand the same one back.
        `UPDATE payout_lines
            SET status = 'pending', failure_code = NULL, failure_message = NULL,
                idempotency_key = CASE WHEN failure_permanent
                                       THEN 'payout-line-' || id || '-r' || attempts
                                       ELSE idempotency_key END,
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
    return this.summary(id);
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
      'currency',
      'status',
      'held_reason',
      'stripe_transfer_id',
      'attempts',
      'failure_code',
      'failure_message',
      'paid_at',
    ];
    const rows = run.lines.map((l) =>
      [
        l.id,
        l.agentId,
        l.stripeAccountId,
        l.amountMinor,
        l.currency,
        l.status,
        l.heldReason,
        l.stripeTransferId,
        l.attempts,
        l.failureCode,
        l.failureMessage,
        l.paidAt,
      ]
        .map(cell)
        .join(','),
    );
    return [header.join(','), ...rows].join('\n') + '\n';
  }

  private async enqueueLines(em: EntityManager, runId: string, status: string): Promise<void> {
    await em.query(
      `INSERT INTO outbox (job_name, payload)
       SELECT 'payout.line', jsonb_build_object('lineId', id) FROM payout_lines
        WHERE run_id = $1 AND status = $2`,
      [runId, status],
    );
    this.outbox.poke();
  }

  private async summary(id: string): Promise<PayoutRunDto> {
    const run = await this.load(this.db.manager, id);
    return this.toRun(run, await this.totals(this.db.manager, [id]));
  }

  private async load(em: EntityManager, id: string, lock = false): Promise<RunRow> {
    const [run]: RunRow[] = await em.query(
      `SELECT * FROM payout_runs WHERE id = $1 ${lock ? 'FOR UPDATE' : ''}`,
      [id],
    );
    if (!run) throw DomainError.notFound('Payout run');
    return run;
  }

  private async totals(em: EntityManager, ids: string[]) {
    const rows: Record<string, string | number>[] = ids.length
      ? await em.query(TOTALS_SQL, [ids])
      : [];
    return new Map(rows.map((r) => [String(r.run_id), r]));
  }

  private toRun(r: RunRow, totals: Map<string, Record<string, string | number>>): PayoutRunDto {
    const t = totals.get(r.id) ?? {};
    const n = (k: string) => Number(t[k] ?? 0);
    return {
      id: r.id,
      currency: r.currency,
      cutoff: r.cutoff,
      status: r.status,
      createdBy: r.created_by,
      approvedBy: r.approved_by,
      createdAt: r.created_at,
      approvedAt: r.approved_at,
      executedAt: r.executed_at,
      completedAt: r.completed_at,
      cancelledAt: r.cancelled_at,
      totals: {
        payableLines: n('payable_lines'),
        payableMinor: n('payable_minor'),
        heldLines: n('held_lines'),
        heldMinor: n('held_minor'),
        paidLines: n('paid_lines'),
        paidMinor: n('paid_minor'),
        failedLines: n('failed_lines'),
        inFlightLines: n('in_flight_lines'),
      },
    };
  }

  private wrongState(run: RunRow, action: string): DomainError {
    return new DomainError('PAYOUT_RUN_STATE', `A ${run.status} run cannot ${action}`, {
      status: run.status,
    });
  }
}
