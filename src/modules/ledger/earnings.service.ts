import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { Env } from '../../config/env.validation';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { JournalRepository } from './journal.repository';
import { AgentIdentities } from './agent-identities.service';
import { AgentsOwingDto, EarningsDto, PricingDto, TrialBalanceDto } from './ledger.dto';
import { toEarningsLineDto, toTrialBalanceRowDto } from './ledger.mapper';
import { LedgerService } from './ledger.service';

/**
 * Read models over the ledger: an agent's earnings, the platform fee, the trial balance, the
 * agents who owe (a company's statement is CompanyStatementService).
 */
@Injectable()
export class EarningsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
    private readonly journal: JournalRepository,
    private readonly config: ConfigService<Env, true>,
    private readonly identities: AgentIdentities,
  ) {}

  /** The agent's balances and every ledger line on its accounts, newest first. */
  async agentEarnings(actor: Actor, limit: number, cursor?: string): Promise<EarningsDto> {
    const { userId } = requireUser(actor, 'agent');
    // Paged by line (an entry can put two lines on the agent's accounts, e.g. a release).
    const after = decodeCursor(cursor, ['int']);
    // The balances, what was paid and the lines from one snapshot: read apart, a payout booked
    // between them showed its money both available and paid, a release both pending and out.
    const [balances, paid, rows] = await this.db.transaction('REPEATABLE READ', async (em) => [
      await this.ledger.balances(em, userId),
      await this.journal.paidToAgent(em, userId),
      await this.journal.agentLines(
        em,
        userId,
        after?.[0] ?? null,
        limit + 1,
        this.config.get('REOPEN_WINDOW_HOURS', { infer: true }),
      ),
    ]);
    const currencies = [...new Set(balances.map((b) => b.currency))].sort();
    const owed = (code: string, currency: string) =>
      0 - (balances.find((b) => b.account === code && b.currency === currency)?.balance ?? 0);
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

  /** What the company owes for tickets resolved in [from, to): rate + fee per ticket. */
  pricing(actor: Actor): PricingDto {
    requireCompany(actor);
    return {
      platformFeeBps: this.config.get('PLATFORM_FEE_BPS', { infer: true }),
      feeRounding: 'half_up',
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

  /**
   * Agents whose available balance is below zero, with who they are: the trial balance sums
   * every agent's account into one figure, where one agent owed 100 and another was owed 100 read
   * as nothing. One snapshot: the balances and the pending beside them.
   */
  async agentsOwing(actor: Actor): Promise<AgentsOwingDto> {
    requireUser(actor, 'finance');
    const { rows, who } = await this.db.transaction('REPEATABLE READ', async (em) => {
      const rows = await this.journal.agentsOwing(em, OWING_LISTED + 1);
      const who = await this.identities.of(
        em,
        rows.map((r) => r.agent_id),
      );
      return { rows, who };
    });
    return {
      items: rows.slice(0, OWING_LISTED).map((r) => ({
        agentId: r.agent_id,
        ...who(r.agent_id),
        currency: r.currency,
        availableMinor: Number(r.available),
        pendingMinor: Number(r.pending),
      })),
      truncated: rows.length > OWING_LISTED,
    };
  }
}

/** Agents listed as owing at most (the most owed first). */
const OWING_LISTED = 500;
