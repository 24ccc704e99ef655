import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { EntityManager } from 'typeorm';
import { Env } from '../../config/env.validation';
import { LedgerService } from '../ledger/ledger.service';
import { SendableLine } from './payout-line-sending.repository';
import { payoutMinimum } from './payout-minimum';

export type HeldAtSending = 'balance_changed' | 'payouts_disabled_since_draft';

/**
 * What a line may be sent for under a key of its own, fixed when that key is first used:
 * nothing can be at Stripe under it yet. Its first send, and a send again once its old key
 * expired with no transfer made under it (PayoutLineHandler), pass here; the caller holds the
 * line's lock.
 */
@Injectable()
export class PayoutSendChecks {
  /** For runs drafted before runs kept their minimum. */
  private readonly configuredMinimum: (currency: string) => number;

  constructor(
    private readonly ledger: LedgerService,
    config: ConfigService<Env, true>,
  ) {
    this.configuredMinimum = payoutMinimum(config);
  }

  /** The amount to send, or why the line is held instead. */
  async amount(
    em: EntityManager,
    row: SendableLine,
  ): Promise<{ amountMinor: number } | { held: HeldAtSending }> {
    // The draft held an agent whose payouts Stripe had disabled, and a line drafted before
    // Stripe did (account.updated since) is held the same way rather than paid into an account
    // that cannot pay out.
    if (row.payouts_enabled !== true) return { held: 'payouts_disabled_since_draft' };
    // What is available now, never more than was drafted and approved. (A clawback after
    // drafting would otherwise be paid out and leave the agent negative.) Fixed before the
    // call, since Stripe refuses a key reused with another amount.
    const available = await this.ledger.availableToAgent(em, row.agent_id, row.currency);
    const pay = Math.min(Number(row.amount_minor), available);
    // The minimum the run was drafted and approved with, not one configured since.
    const minimum =
      row.minimum_minor === null ? this.configuredMinimum(row.currency) : Number(row.minimum_minor);
    return pay < minimum ? { held: 'balance_changed' } : { amountMinor: pay };
  }
}
