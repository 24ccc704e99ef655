import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { AgentIdentities } from '../ledger/agent-identities.service';
import { STRIPE } from '../stripe/stripe.module';
import {
  RECONCILIATION_CATEGORIES,
  ReconciliationCategory,
  reconcileLines,
} from './payout-reconciliation';
import { ReconciliationDto } from './payout-reconciliation.dto';
import { PayoutLinesRepository } from './payout-lines.repository';
import { PayoutRunsRepository } from './payout-runs.repository';
import { isUuid } from '../../common/validation/uuid';

// Stripe's largest page.
const PAGE = 100;
/** The deprecated `result` field's words, where they differ from the category's. */
const OLD_NAMES: Partial<Record<ReconciliationCategory, string>> = {
  missing_at_stripe: 'missing',
  unexpected_at_stripe: 'unexpected',
  reversal_mismatch: 'amount_mismatch',
};

/**
 * A run's lines against what Stripe holds for the run: every line with its category
 * (payout-reconciliation.ts), then the transfers no line accounts for. Stripe is read by
 * listing the run's transfer group, 100 transfers a call (500 calls for 50,000 lines, each
 * paced with the workers' calls), never one call per line: per line, a 50k run would have
 * needed 50,000 calls, over eight minutes at Stripe's live rate, inside one HTTP request.
 */
@Injectable()
export class PayoutReconciliationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly runs: PayoutRunsRepository,
    private readonly lines: PayoutLinesRepository,
    private readonly identities: AgentIdentities,
  ) {}

  async reconcile(actor: Actor, runId: string): Promise<ReconciliationDto> {
    requireUser(actor, 'finance');
    if (!(await this.runs.exists(this.db.manager, runId))) {
      throw DomainError.notFound('Payout run');
    }
    const lines = await this.lines.toReconcile(this.db.manager, runId);
    const atStripe = await this.transfersOfRun(runId);
    const found = reconcileLines(lines, atStripe);
    // Names for the lines' agents and those the leftover transfers' metadata names (only ids
    // shaped like ours: metadata is free text at Stripe), one query to each owner.
    const who = await this.identities.of(
      this.db.manager,
      found.map((f) => f.agentId).filter((id): id is string => id !== null && isUuid(id)),
    );
    const out = found.map(({ agentId, ...rest }) => ({
      ...rest,
      agentId,
      ...(agentId ? who(agentId) : { agentDisplayName: null, agentEmail: null }),
      result: OLD_NAMES[rest.category] ?? rest.category,
    }));
    const count = (c: ReconciliationCategory) => out.filter((l) => l.category === c).length;
    const counts = Object.fromEntries(
      RECONCILIATION_CATEGORIES.map((c) => [c, count(c)]),
    ) as Record<ReconciliationCategory, number>;
    return {
      runId,
      counts,
      // The counts' names until this release (kept one more release for existing clients).
      matched: counts.matched,
      mismatched: counts.amount_mismatch + counts.reversal_mismatch,
      missing: counts.missing_at_stripe,
      unexpected: counts.unexpected_at_stripe,
      lines: out,
    };
  }

  /** Every transfer in the run's group, by id; pages fetched one by one, each paced. */
  private async transfersOfRun(runId: string): Promise<Map<string, Stripe.Transfer>> {
    const found = new Map<string, Stripe.Transfer>();
    let startingAfter: string | undefined;
    try {
      for (;;) {
        const page = await this.stripe.transfers.list({
          transfer_group: `run_${runId}`,
          limit: PAGE,
          ...(startingAfter ? { starting_after: startingAfter } : {}),
        });
        for (const transfer of page.data) found.set(transfer.id, transfer);
        if (!page.has_more || page.data.length === 0) return found;
        startingAfter = page.data[page.data.length - 1].id;
      }
    } catch {
      throw new DomainError('SERVICE_UNAVAILABLE', 'Stripe could not be asked; try again shortly');
    }
  }
}
