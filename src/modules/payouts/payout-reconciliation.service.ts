import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import Stripe from 'stripe';
import { DataSource } from 'typeorm';
import { requireUser } from '../../common/auth/access';
import { Actor } from '../../common/auth/actor';
import { DomainError } from '../../common/errors/domain-error';
import { STRIPE } from '../stripe/stripe.module';
import { ReconciliationDto } from './payout.dto';
import { PayoutLinesRepository } from './payout-lines.repository';
import { PayoutRunsRepository } from './payout-runs.repository';
import { StripePacer } from './stripe-pacer.service';

// Stripe's largest page.
const PAGE = 100;

/**
 * A run's lines against what Stripe holds for the run. Stripe is read by listing the run's
 * transfer group, 100 transfers a call (500 calls for 50,000 lines, each paced with the
 * workers' calls), never one call per line: per line, a 50k run would have needed 50,000
 * calls, over eight minutes at Stripe's live rate, inside one HTTP request.
 */
@Injectable()
export class PayoutReconciliationService {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(STRIPE) private readonly stripe: Stripe,
    private readonly pacer: StripePacer,
    private readonly runs: PayoutRunsRepository,
    private readonly lines: PayoutLinesRepository,
  ) {}

  async reconcile(actor: Actor, runId: string): Promise<ReconciliationDto> {
    requireUser(actor, 'finance');
    if (!(await this.runs.exists(this.db.manager, runId))) {
      throw DomainError.notFound('Payout run');
    }
    const lines = await this.lines.unheldOfRun(this.db.manager, runId);
    const atStripe = await this.transfersOfRun(runId);
    const out: ReconciliationDto['lines'] = [];
    for (const line of lines) {
      // What the line sent (less than drafted after a clawback), else what it was drafted for.
      const amount = Number(line.transfer_minor ?? line.amount_minor);
      const base = { lineId: line.id, agentId: line.agent_id, amountMinor: amount };
      if (!line.stripe_transfer_id) {
        if (line.status === 'paid')
          out.push({ ...base, stripeTransferId: null, stripeAmountMinor: null, result: 'missing' });
        continue;
      }
      const transfer = atStripe.get(line.stripe_transfer_id);
      atStripe.delete(line.stripe_transfer_id);
      out.push({
        ...base,
        stripeTransferId: line.stripe_transfer_id,
        stripeAmountMinor: transfer?.amount ?? null,
        result: !transfer ? 'missing' : transfer.amount === amount ? 'matched' : 'amount_mismatch',
      });
    }
    // What is left at Stripe, no line knows.
    for (const transfer of atStripe.values()) {
      out.push({
        lineId: String(transfer.metadata?.payoutLineId ?? ''),
        agentId: String(transfer.metadata?.agentId ?? ''),
        amountMinor: 0,
        stripeTransferId: transfer.id,
        stripeAmountMinor: transfer.amount,
        result: 'unexpected',
      });
    }
    const count = (r: string) => out.filter((l) => l.result === r).length;
    return {
      runId,
      matched: count('matched'),
      mismatched: count('amount_mismatch'),
      missing: count('missing'),
      unexpected: count('unexpected'),
      lines: out,
    };
  }

  /** Every transfer in the run's group, by id; pages fetched one by one, each paced. */
  private async transfersOfRun(runId: string): Promise<Map<string, Stripe.Transfer>> {
    const found = new Map<string, Stripe.Transfer>();
    let startingAfter: string | undefined;
    try {
      for (;;) {
        await this.pacer.slot();
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
