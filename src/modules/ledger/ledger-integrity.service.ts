import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { LedgerIntegrityDto } from './ledger.dto';

/** At most this many findings per check in one report; `truncated` says there were more. */
const MAX_FINDINGS = 500;

/**
 * Invariants the ledger must hold whatever order or concurrency its jobs ran in, checked
 * against the books themselves, for finance to watch (and for tests to assert):
 * - a reopened claim keeps no earning: each one is reversed or was never booked;
 * - every currency's lines sum to zero (the database refuses unbalanced entries; this proves it).
 */
@Injectable()
export class LedgerIntegrityService {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async report(actor: Actor): Promise<LedgerIntegrityDto> {
    requireUser(actor, 'finance');
    const [claims, totals] = await Promise.all([
      this.db.query(
        `SELECT e.claim_id, e.ticket_id, e.agent_id, e.company_id, e.status, e.amount_minor,
                e.currency, c.reopened_at
           FROM earnings e JOIN ticket_claims c ON c.id = e.claim_id
          WHERE c.reopened_at IS NOT NULL AND e.status <> 'reversed'
          ORDER BY c.reopened_at, e.claim_id LIMIT $1`,
        [MAX_FINDINGS + 1],
      ) as Promise<
        {
          claim_id: string;
          ticket_id: string;
          agent_id: string;
          company_id: string;
          status: string;
          amount_minor: string;
          currency: string;
          reopened_at: Date;
        }[]
      >,
      this.db.query(
        `SELECT currency, sum(amount_minor) AS total FROM journal_lines
          GROUP BY currency HAVING sum(amount_minor) <> 0 ORDER BY currency`,
      ) as Promise<{ currency: string; total: string }[]>,
    ]);
    const unreversed = claims.slice(0, MAX_FINDINGS).map((r) => ({
      claimId: r.claim_id,
      ticketId: r.ticket_id,
      agentId: r.agent_id,
      companyId: r.company_id,
      earningStatus: r.status,
      amountMinor: Number(r.amount_minor),
      currency: r.currency,
      reopenedAt: r.reopened_at,
    }));
    const unbalanced = totals.map((r) => ({ currency: r.currency, balanceMinor: Number(r.total) }));
    return {
      ok: unreversed.length === 0 && unbalanced.length === 0,
      checkedAt: new Date(),
      reopenedClaimsNotReversed: unreversed,
      truncated: claims.length > MAX_FINDINGS,
      unbalancedCurrencies: unbalanced,
    };
  }
}
