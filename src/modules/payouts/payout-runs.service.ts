import { Inject, Injectable } from '@nestjs/common';
import { runUnwatched } from '../../common/http/request-context';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, Page, toPage } from '../../common/pagination/page';
import { Env } from '../../config/env.validation';
import { AgentIdentities } from '../ledger/agent-identities.service';
import { LedgerService } from '../ledger/ledger.service';
import { STRIPE_SETTINGS, StripeSettings } from '../stripe/stripe.module';
import {
  CreatePayoutRunDto,
  PayoutRunDetailDto,
  PayoutRunDto,
  PayoutRunsQueryDto,
} from './payout.dto';
import { PayoutLinePagesRepository } from './payout-line-pages.repository';
import { PayoutLinesRepository } from './payout-lines.repository';
import { PayoutLinePageDto, PayoutLinesQueryDto, PayoutRunQueryDto } from './payout-run-read.dto';
import { payoutMinimum } from './payout-minimum';
import { PayoutRunEvents } from './payout-run-events';
import { PlatformBalanceService } from './platform-balance.service';
import { PAYOUT_LINES_CSV_HEADER, toPayoutLineCsvRow } from './payout-lines.csv';
import { toPayoutLineDto, toPayoutRunDto } from './payout.mapper';
import { foundRun, wrongState } from './payout-run.errors';
import { PayoutProgressRow, PayoutRunRow, PayoutRunsRepository } from './payout-runs.repository';

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
    private readonly ledger: LedgerService,
    private readonly runs: PayoutRunsRepository,
    private readonly lines: PayoutLinesRepository,
    private readonly linePages: PayoutLinePagesRepository,
    private readonly identities: AgentIdentities,
    private readonly runEvents: PayoutRunEvents,
    private readonly balance: PlatformBalanceService,
  ) {}

  async create(actor: Actor, input: CreatePayoutRunDto): Promise<PayoutRunDetailDto> {
    const { userId } = requireUser(actor, 'finance');
    const cutoff = input.cutoff ? new Date(input.cutoff) : new Date();
    if (cutoff.getTime() > Date.now()) {
      throw DomainError.validation([
        { field: 'cutoff', messages: ['cutoff must not be in the future'] },
      ]);
    }
    const minimum = payoutMinimum(this.config)(input.currency);
    const id = await this.db.transaction(async (em) => {
      const runId = await this.runs.insertDraft(
        em,
        input.currency,
        cutoff,
        userId,
        this.stripe.mode,
        minimum,
      );
      // What each agent may be paid: what was available at the cutoff (earnings and
      // adjustments up to the cutoff, minus every payout ever made, whatever its date), but never
      // more than is available now. The balances come from the ledger in one query, the lines go
      // in with one statement: a draft of 50k agents stays a few seconds.
      const balances = await this.ledger.availableBalances(em, input.currency, cutoff);
      await this.lines.insertDraft(em, runId, input.currency, minimum, {
        agentIds: balances.map((b) => b.agentId),
        current: balances.map((b) => b.current),
        atCutoff: balances.map((b) => b.atCutoff),
      });
      await this.runEvents.record(em, 'payout_run.created', runId, {
        status: 'draft',
        currency: input.currency,
      });
      return runId;
    });
    return this.get(actor, id);
  }

  async list(actor: Actor, query: PayoutRunsQueryDto): Promise<Page<PayoutRunDto>> {
    requireUser(actor, 'finance');
    const after = decodeCursor(query.cursor, ['instant', 'uuid']);
    // The runs and their totals from one snapshot, as a run's page reads them: apart, a run
    // whose last line was paid between the reads showed `executing` beside settled totals.
    const { page, totals } = await runUnwatched(() =>
      this.db.transaction('REPEATABLE READ', async (em) => {
        const rows = await this.runs.page(em, {
          status: query.status ?? null,
          after,
          limit: query.limit + 1,
        });
        const page = toPage(
          rows,
          query.limit,
          (r) => r,
          (r) => [r.cursor_at, r.id],
        );
        const totals = await this.runs.totals(
          em,
          page.items.map((r) => r.id),
        );
        return { page, totals };
      }),
    );
    const byRun = new Map(totals.map((t) => [t.run_id, t]));
    return {
      items: page.items.map((r) => toPayoutRunDto(r, byRun.get(r.id))),
      nextCursor: page.nextCursor,
    };
  }

  /** The run, its totals and (unless `lines` is `none`) every line. */
  async get(actor: Actor, id: string, query: PayoutRunQueryDto = {}): Promise<PayoutRunDetailDto> {
    requireUser(actor, 'finance');
    // The run, its totals and its lines from one snapshot: read apart, a line paid between the
    // reads was counted paid in the totals and listed pending. Names and emails for the whole
    // run in one query to each owner (50,000 lines: two queries, not 100,000). Unwatched: a
    // read, so what becomes of it says nothing of what a keyed write before it saved.
    const { run, summary, lines, who } = await runUnwatched(() =>
      this.db.transaction('REPEATABLE READ', async (em) => {
        const run = foundRun(await this.runs.find(em, id));
        const lines = query.lines === 'none' ? [] : await this.lines.ofRun(em, id);
        const summary = await this.summaryOf(em, run);
        const who = await this.identities.of(
          em,
          lines.map((l) => l.agent_id),
        );
        return { run, summary, lines, who };
      }),
    );
    // Before it pays, the run shows what the balance would cover.
    const platformBalanceMinor =
      run.status === 'draft' || run.status === 'approved'
        ? await this.balance.availableOrNull(run.currency)
        : null;
    return {
      ...summary,
      platformBalanceMinor,
      lines: lines.map((l) => toPayoutLineDto(l, who(l.agent_id))),
    };
  }

  /** A page of the run's lines, of one status or all (PayoutLinePagesRepository's order). */
  async linesPage(
    actor: Actor,
    id: string,
    query: PayoutLinesQueryDto,
  ): Promise<PayoutLinePageDto> {
    requireUser(actor, 'finance');
    foundRun(await this.runs.find(this.db.manager, id));
    const after = decodeCursor(query.cursor, ['signedInt', 'uuid']);
    const rows = await this.linePages.page(this.db.manager, id, {
      status: query.status ?? null,
      after,
      limit: query.limit + 1,
    });
    const who = await this.identities.of(
      this.db.manager,
      rows.map((l) => l.agent_id),
    );
    return toPage(
      rows,
      query.limit,
      (l) => toPayoutLineDto(l, who(l.agent_id)),
      (l) => [l.amount_minor, l.id],
    );
  }

  /**
   * Maker-checker: approved by a finance user other than the one who drafted it. A run with no
   * line to pay (every one held) has nothing to approve: cancel it and draft again later.
   */
  async approve(actor: Actor, id: string): Promise<PayoutRunDto> {
    const { userId } = requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = foundRun(await this.runs.find(em, id, true));
      if (run.status !== 'draft') throw wrongState(run, 'approve');
      if (run.created_by === userId) {
        throw new DomainError(
          'FORBIDDEN',
          'A run must be approved by someone other than its creator',
        );
      }
      if (!(await this.lines.hasPayable(em, id))) {
        throw new DomainError(
          'RUN_HAS_NOTHING_TO_PAY',
          'Nothing is left to pay on this run (every line is held, or paid already): there is nothing to approve (cancel it instead)',
        );
      }
      await this.runs.markApproved(em, id, userId);
      await this.runEvents.record(em, 'payout_run.approved', id, { status: 'approved' });
    });
    return this.summary(this.db.manager, id);
  }

  async cancel(actor: Actor, id: string): Promise<PayoutRunDto> {
    requireUser(actor, 'finance');
    await this.db.transaction(async (em) => {
      const run = foundRun(await this.runs.find(em, id, true));
      if (run.status !== 'draft' && run.status !== 'approved') throw wrongState(run, 'cancel');
      await this.runs.markCancelled(em, id);
      await this.runEvents.record(em, 'payout_run.cancelled', id, { status: 'cancelled' });
    });
    return this.summary(this.db.manager, id);
  }

  /** The run with its totals, without its lines (answers of the run's actions). */
  async summary(em: EntityManager, id: string): Promise<PayoutRunDto> {
    return this.summaryOf(em, foundRun(await this.runs.find(em, id)));
  }

  private async summaryOf(em: EntityManager, run: PayoutRunRow): Promise<PayoutRunDto> {
    const [totals] = await this.runs.totals(em, [run.id]);
    return toPayoutRunDto(run, totals);
  }

  /** Lines of unfinished runs by run and line status (read by /metrics; no actor: no ids). */
  progress(): Promise<PayoutProgressRow[]> {
    return this.runs.progress(this.db.manager);
  }

  /** The run's lines as CSV (payout-lines.csv.ts): one row per line, as GET shows them. */
  async csv(actor: Actor, id: string): Promise<string> {
    const run = await this.get(actor, id);
    return [PAYOUT_LINES_CSV_HEADER, ...run.lines.map(toPayoutLineCsvRow)].join('\n') + '\n';
  }
}
