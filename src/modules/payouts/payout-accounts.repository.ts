import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

/** A `payout_accounts` row: an agent's Stripe Connect account and its state as Stripe sent it. */
export interface PayoutAccountRow {
  agent_id: string;
  stripe_account_id: string;
  payouts_enabled: boolean;
  details_submitted: boolean;
  requirements: string[];
  stripe_state_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/** An account's state as Stripe reports it. */
export interface StripeAccountState {
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  requirements: string[];
}

@Injectable()
export class PayoutAccountsRepository {
  /** A concurrent onboarding that stored the agent's account first wins (same Stripe account). */
  async insertIfAbsent(
    em: EntityManager,
    agentId: string,
    stripeAccountId: string,
    state: StripeAccountState,
  ): Promise<void> {
    // No conflict target: every unique index is then an arbiter. With `ON CONFLICT (agent_id)`,
    // two first calls that both pass the arbiter's pre-check insert the same (agent, account)
    // pair, and the loser fails on uq_payout_accounts_stripe (a non-arbiter index waits for the
    // winner's commit and then raises) instead of doing nothing: a 500 seen under load in CI.
    await em.query(
      `INSERT INTO payout_accounts (agent_id, stripe_account_id, payouts_enabled, details_submitted, requirements)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`,
      [agentId, stripeAccountId, state.payoutsEnabled, state.detailsSubmitted, state.requirements],
    );
  }

  async ofAgent(em: EntityManager, agentId: string): Promise<PayoutAccountRow | undefined> {
    const [row]: PayoutAccountRow[] = await em.query(
      'SELECT * FROM payout_accounts WHERE agent_id = $1',
      [agentId],
    );
    return row;
  }

  async stripeAccountIdOf(em: EntityManager, agentId: string): Promise<string | null> {
    const [row]: Pick<PayoutAccountRow, 'stripe_account_id'>[] = await em.query(
      'SELECT stripe_account_id FROM payout_accounts WHERE agent_id = $1',
      [agentId],
    );
    return row?.stripe_account_id ?? null;
  }

  /** Locks the account's row, if we have it, to the end of the transaction. */
  async lockByStripeId(em: EntityManager, stripeAccountId: string): Promise<void> {
    await em.query('SELECT 1 FROM payout_accounts WHERE stripe_account_id = $1 FOR UPDATE', [
      stripeAccountId,
    ]);
  }

  /**
   * Stores the account's state as of a Stripe event's `created` (Unix seconds), unless a newer
   * event's state is already stored (events arrive out of order).
   */
  async applyStripeState(
    em: EntityManager,
    stripeAccountId: string,
    state: StripeAccountState,
    eventCreated: number,
  ): Promise<void> {
    await em.query(
      `UPDATE payout_accounts
          SET payouts_enabled = $2, details_submitted = $3, requirements = $4,
              stripe_state_at = to_timestamp($5), updated_at = now()
        WHERE stripe_account_id = $1
          AND (stripe_state_at IS NULL OR stripe_state_at <= to_timestamp($5))`,
      [
        stripeAccountId,
        state.payoutsEnabled,
        state.detailsSubmitted,
        state.requirements,
        eventCreated,
      ],
    );
  }
}
