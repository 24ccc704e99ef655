import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireCompany, requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { decodeCursor, toPage } from '../../common/pagination/page';
import { EarningsDto, StatementDto, TrialBalanceDto } from './ledger.dto';
import { LedgerService } from './ledger.service';

const MAX_STATEMENT_DAYS = 366;

/** Read models over the ledger: an agent's earnings, a company's statement, the trial balance. */
@Injectable()
export class EarningsService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly ledger: LedgerService,
  ) {}

  /** The agent's balances and every ledger line on its accounts, newest first. */
  async agentEarnings(actor: Actor, limit: number, cursor?: string): Promise<EarningsDto> {
    const { userId } = requireUser(actor, 'agent');
    const [balances, paid] = await Promise.all([
      this.ledger.balances(this.db.manager, userId),
      this.db.query(
        `SELECT l.currency, sum(l.amount_minor) AS paid
           FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
           JOIN ledger_accounts a ON a.id = l.account_id
          WHERE a.owner_id = $1 AND a.code = 'agent_available'
            AND e.kind IN ('payout', 'payout_reversal')
          GROUP BY l.currency`,
        [userId],
      ) as Promise<{ currency: string; paid: string }[]>,
    ]);
    const currencies = [...new Set(balances.map((b) => b.currency))].sort();
    const owed = (code: string, currency: string) =>
      0 - (balances.find((b) => b.account === code && b.currency === currency)?.balance ?? 0);
    // Paged by line (an entry can put two lines on the agent's accounts, e.g. a release).
    const after = decodeCursor(cursor, ['int']);
    const rows: {
      line_id: string;
      entry_id: string;
      kind: string;
      code: string;
      amount_minor: string;
      currency: string;
      ticket_id: string | null;
      claim_id: string | null;
      payout_line_id: string | null;
      memo: string | null;
      created_at: Date;
      entry_key: string;
    }[] = await this.db.query(
      `SELECT l.id AS line_id, e.id AS entry_id, e.kind, a.code, l.amount_minor, l.currency,
              e.ticket_id, e.claim_id, e.payout_line_id, e.memo, e.created_at,
              e.id::text AS entry_key
         FROM journal_lines l
         JOIN ledger_accounts a ON a.id = l.account_id
         JOIN journal_entries e ON e.id = l.entry_id
        WHERE a.owner_id = $1 AND a.code IN ('agent_pending', 'agent_available')
          AND ($2::bigint IS NULL OR l.id < $2::bigint)
        ORDER BY l.id DESC
        LIMIT $3`,
      [userId, after?.[0] ?? null, limit + 1],
    );
    const page = toPage(
      rows,
      limit,
      (r) => ({
        entryId: r.entry_id,
        kind: r.kind,
        bucket: r.code === 'agent_pending' ? 'pending' : 'available',
        amountMinor: -Number(r.amount_minor),
        currency: r.currency,
        ticketId: r.ticket_id,
        claimId: r.claim_id,
        payoutLineId: r.payout_line_id,
        memo: r.memo,
        createdAt: r.created_at,
      }),
      (r) => [String(r.line_id)],
    );
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
  async companyStatement(actor: Actor, from: string, to: string): Promise<StatementDto> {
    const companyId = requireCompany(actor);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days <= 0 || days > MAX_STATEMENT_DAYS) {
      throw DomainError.validation([
        { field: 'to', messages: [`to must be after from, at most ${MAX_STATEMENT_DAYS} days`] },
      ]);
    }
    const rows: {
      ticket_id: string;
      external_id: string;
      claim_id: string;
      agent_id: string;
      earned_at: Date;
      currency: string;
      amount_minor: string;
      fee_minor: string;
      status: string;
    }[] = await this.db.query(
      `SELECT e.ticket_id, t.external_id, e.claim_id, e.agent_id, e.earned_at, e.currency,
              e.amount_minor, e.fee_minor, e.status
         FROM earnings e JOIN tickets t ON t.id = e.ticket_id
        WHERE e.company_id = $1 AND e.earned_at >= $2 AND e.earned_at < $3
        ORDER BY e.earned_at, e.claim_id`,
      [companyId, from, to],
    );
    const lines = rows.map((r) => ({
      ticketId: r.ticket_id,
      externalId: r.external_id,
      claimId: r.claim_id,
      agentId: r.agent_id,
      resolvedAt: r.earned_at,
      currency: r.currency,
      rateMinor: Number(r.amount_minor),
      feeMinor: Number(r.fee_minor),
      totalMinor: Number(r.amount_minor) + Number(r.fee_minor),
      status: r.status,
    }));
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
    const rows: { code: string; currency: string; balance: string }[] = await this.db.query(
      `SELECT a.code, a.currency, coalesce(sum(l.amount_minor), 0) AS balance
         FROM ledger_accounts a LEFT JOIN journal_lines l ON l.account_id = a.id
        GROUP BY a.code, a.currency ORDER BY a.currency, a.code`,
    );
    const totals = new Map<string, number>();
    for (const r of rows) totals.set(r.currency, (totals.get(r.currency) ?? 0) + Number(r.balance));
    return {
      totals: [...totals.entries()].map(([currency, balanceMinor]) => ({ currency, balanceMinor })),
      accounts: rows.map((r) => ({
        account: r.code,
        currency: r.currency,
        balanceMinor: Number(r.balance),
      })),
    };
  }
}
