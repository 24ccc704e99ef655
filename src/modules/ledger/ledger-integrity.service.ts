import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { TicketClaimFacts } from '../tickets/ticket-claim-facts.service';
import { EarningsRepository } from './earnings.repository';
import { JournalRepository } from './journal.repository';
import { LedgerIntegrityDto, UnreversedReopenedClaimDto } from './ledger.dto';
import { toUnreversedReopenedClaimDto } from './ledger.mapper';

/** At most this many findings per check in one report; `truncated` says there were more. */
const MAX_FINDINGS = 500;
/** Reopened claims looked up per query. */
const CHUNK = 5000;

/**
 * Invariants the ledger must hold whatever order or concurrency its jobs ran in, checked
 * against the books themselves, for finance to watch (and for tests to assert):
 * - a reopened claim keeps no earning: each one is reversed or was never booked;
 * - every currency's lines sum to zero (the database refuses unbalanced entries; this proves it).
 */
@Injectable()
export class LedgerIntegrityService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly journal: JournalRepository,
    private readonly earnings: EarningsRepository,
    private readonly claims: TicketClaimFacts,
  ) {}

  async report(actor: Actor): Promise<LedgerIntegrityDto> {
    requireUser(actor, 'finance');
    const em = this.db.manager;
    const [reopened, totals] = await Promise.all([
      this.claims.reopenedClaims(em),
      this.journal.unbalancedCurrencies(em),
    ]);
    // Reopened claims are few next to earnings: ask for theirs, a chunk at a time.
    const unreversed: UnreversedReopenedClaimDto[] = [];
    for (let i = 0; i < reopened.length && unreversed.length <= MAX_FINDINGS; i += CHUNK) {
      const chunk = reopened.slice(i, i + CHUNK);
      const when = new Map(chunk.map((c) => [c.claimId, c.reopenedAt]));
      const found = await this.earnings.notReversedAmong(
        em,
        chunk.map((c) => c.claimId),
      );
      for (const row of found)
        unreversed.push(toUnreversedReopenedClaimDto(row, when.get(row.claim_id)!));
    }
    unreversed.sort(
      (a, b) =>
        a.reopenedAt.getTime() - b.reopenedAt.getTime() || a.claimId.localeCompare(b.claimId),
    );
    const unbalanced = totals.map((r) => ({ currency: r.currency, balanceMinor: Number(r.total) }));
    return {
      ok: unreversed.length === 0 && unbalanced.length === 0,
      checkedAt: new Date(),
      reopenedClaimsNotReversed: unreversed.slice(0, MAX_FINDINGS),
      truncated: unreversed.length > MAX_FINDINGS,
      unbalancedCurrencies: unbalanced,
    };
  }
}
