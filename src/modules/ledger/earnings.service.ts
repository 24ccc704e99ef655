import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { Env } from '../../config/env.validation';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { AgentsService } from '../agents/agents.service';
import { CompaniesService } from '../companies/companies.service';
import { TicketClaimFacts } from '../tickets/ticket-claim-facts.service';
import { EarningsRepository } from './earnings.repository';
import { JournalRepository } from './journal.repository';
import {
  EarningsDto,
  PricingDto,
  StatementDto,
  StatementQueryDto,
  TrialBalanceDto,
} from './ledger.dto';
import { toEarningsLineDto, toStatementLineDto, toTrialBalanceRowDto } from './ledger.mapper';
import { LedgerService } from './ledger.service';

const MAX_STATEMENT_DAYS = 366;

/** Read models over the ledger: an agent's earnings, a company's statement, the trial balance. */
@Injectable()
export class EarningsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
    private readonly journal: JournalRepository,
    private readonly earnings: EarningsRepository,
    private readonly tickets: TicketClaimFacts,
    private readonly agents: AgentsService,
    private readonly config: ConfigService<Env, true>,
    private readonly companies: CompaniesService,
  ) {}

  /** The agent's balances and every ledger line on its accounts, newest first. */
  async agentEarnings(actor: Actor, limit: number, cursor?: string): Promise<EarningsDto> {
    const { userId } = requireUser(actor, 'agent');
    const [balances, paid] = await Promise.all([
      this.ledger.balances(this.db.manager, userId),
      this.journal.paidToAgent(this.db.manager, userId),
    ]);
    const currencies = [...new Set(balances.map((b) => b.currency))].sort();
    const owed = (code: string, currency: string) =>
      0 - (balances.find((b) => b.account === code && b.currency === currency)?.balance ?? 0);
    // Paged by line (an entry can put two lines on the agent's accounts, e.g. a release).
    const after = decodeCursor(cursor, ['int']);
    const rows = await this.journal.agentLines(
      this.db.manager,
      userId,
      after?.[0] ?? null,
      limit + 1,
      this.config.get('REOPEN_WINDOW_HOURS', { infer: true }),
    );
    const page = toPage(rows, limit, toEarningsLineDto, (r) => [String(r.line_id)]);
    return {
      balances: currencies.map((currency) => ({
        currency,
        pending: owed('agent_pending', currency),
        available: owed('agent_available', currency),
        paid: Number(paid.find((p) => p.currency === currency)?.paid ?? 0),
      })),
      lines: page.items,
      nextCursor: page.nextCursor,
    };
  }

  /** The statement's period: a month in the company's zone, or `from` and `to` as given. */
  private async period(
    companyId: string,
    query: StatementQueryDto,
  ): Promise<{ from: string; to: string; timeZone: string | null }> {
    const { month, from, to } = query;
    if (month !== undefined) {
      if (from !== undefined || to !== undefined) {
        throw DomainError.validation([
          { field: 'month', messages: ['give month, or from and to, not both'] },
        ]);
      }
      const { timeZone } = (await this.companies.settingsOf(this.db.manager, companyId))!;
      const [start, end] = await this.earnings.monthIn(this.db.manager, month, timeZone);
      return { from: start, to: end, timeZone };
    }
    const missing = (['from', 'to'] as const).filter((f) => query[f] === undefined);
    if (missing.length > 0) {
      throw DomainError.validation(
        missing.map((field) => ({
          field,
          messages: [
            `${field} is required without month (an instant such as 2030-05-01T00:00:00Z)`,
          ],
        })),
      );
    }
    return { from: from!, to: to!, timeZone: null };
  }

  /** What the company owes for tickets resolved in [from, to): rate + fee per ticket. */
  pricing(actor: Actor): PricingDto {
    requireCompany(actor);
    return {
      platformFeeBps: this.config.get('PLATFORM_FEE_BPS', { infer: true }),
      feeRounding: 'half_up',
    };
  }

  async companyStatement(actor: Actor, query: StatementQueryDto): Promise<StatementDto> {
    const companyId = requireCompany(actor);
    const { from, to, timeZone } = await this.period(companyId, query);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days <= 0 || days > MAX_STATEMENT_DAYS) {
      throw DomainError.validation([
        { field: 'to', messages: [`to must be after from, at most ${MAX_STATEMENT_DAYS} days`] },
      ]);
    }
    const rows = await this.earnings.ofCompany(this.db.manager, companyId, from, to);
    // One query to each owner for the whole statement, not one per line.
    const [externalIds, names] = await Promise.all([
      this.tickets.externalIdsOf(
        this.db.manager,
        rows.map((r) => r.ticket_id),
      ),
      this.agents.displayNamesOf(
        this.db.manager,
        rows.map((r) => r.agent_id),
      ),
    ]);
    const lines = rows.map((r) =>
      toStatementLineDto(r, externalIds.get(r.ticket_id)!, names.get(r.agent_id) ?? null),
    );
    const totals = new Map<string, { tickets: number; rateMinor: number; feeMinor: number }>();
    for (const l of lines.filter((x) => x.status !== 'reversed')) {
      const t = totals.get(l.currency) ?? { tickets: 0, rateMinor: 0, feeMinor: 0 };
      totals.set(l.currency, {
        tickets: t.tickets + 1,
        rateMinor: t.rateMinor + l.rateMinor,
        feeMinor: t.feeMinor + l.feeMinor,
      });
    }
    return {
      from,
      to,
      timeZone,
      totals: [...totals.entries()].map(([currency, t]) => ({
        currency,
        ...t,
        totalMinor: t.rateMinor + t.feeMinor,
      })),
      lines,
    };
  }

  /** Every account's balance; each currency's total is zero by construction. */
  async trialBalance(actor: Actor): Promise<TrialBalanceDto> {
    requireUser(actor, 'finance');
    const rows = await this.journal.allBalances(this.db.manager);
    const totals = new Map<string, number>();
    for (const r of rows) totals.set(r.currency, (totals.get(r.currency) ?? 0) + Number(r.balance));
    return {
      totals: [...totals.entries()].map(([currency, balanceMinor]) => ({ currency, balanceMinor })),
      accounts: rows.map(toTrialBalanceRowDto),
    };
  }
}
