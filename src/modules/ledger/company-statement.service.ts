import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { requireCompany } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { AgentsService } from '../agents/agents.service';
import { CompaniesService } from '../companies/companies.service';
import { TicketClaimFacts } from '../tickets/ticket-claim-facts.service';
import { EarningsRepository } from './earnings.repository';
import { StatementDto, StatementQueryDto } from './ledger.dto';
import { toStatementLineDto, toStatementTotalDto } from './ledger.mapper';

const MAX_STATEMENT_DAYS = 366;

/** A company's statement: what it owes for the tickets resolved in a period, a page at a time. */
@Injectable()
export class CompanyStatementService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly earnings: EarningsRepository,
    private readonly tickets: TicketClaimFacts,
    private readonly agents: AgentsService,
    private readonly companies: CompaniesService,
  ) {}

  /**
   * The period's totals (on the first page) and a page of its lines. A busy company resolves
   * hundreds of thousands of tickets in the 366 days a period may span: the database sums
   * them, and only a page of lines is read, named and answered.
   */
  async companyStatement(actor: Actor, query: StatementQueryDto): Promise<StatementDto> {
    const companyId = requireCompany(actor);
    const after = decodeCursor(query.cursor, ['instant', 'uuid']);
    const { from, to, timeZone } = await this.period(companyId, query);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days <= 0 || days > MAX_STATEMENT_DAYS) {
      throw DomainError.validation([
        { field: 'to', messages: [`to must be after from, at most ${MAX_STATEMENT_DAYS} days`] },
      ]);
    }
    const pageOf = (em: EntityManager) =>
      this.earnings.pageOfCompany(
        em,
        companyId,
        { from, to },
        after && { earnedAt: after[0], claimId: after[1] },
        query.limit + 1,
      );
    // The first page and the totals from one snapshot: read apart, a ticket resolved between
    // them would be counted in the totals and missing from the lines (or the reverse).
    const [rows, totals] = after
      ? [await pageOf(this.db.manager), null]
      : await this.db.transaction('REPEATABLE READ', async (em) => [
          await pageOf(em),
          await this.earnings.totalsOfCompany(em, companyId, { from, to }),
        ]);
    const page = toPage(
      rows,
      query.limit,
      (r) => r,
      (r) => [r.cursor_at, r.claim_id],
    );
    // One query to each owner for the page, not one per line.
    const [externalIds, names] = await Promise.all([
      this.tickets.externalIdsOf(
        this.db.manager,
        page.items.map((r) => r.ticket_id),
      ),
      this.agents.displayNamesOf(
        this.db.manager,
        page.items.map((r) => r.agent_id),
      ),
    ]);
    return {
      from,
      to,
      timeZone,
      totals: totals && totals.map(toStatementTotalDto),
      lines: page.items.map((r) =>
        toStatementLineDto(r, externalIds.get(r.ticket_id)!, names.get(r.agent_id) ?? null),
      ),
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
}
