import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { changedRows } from '../../database/sql';

/** A `payout_accounts` row: an agent's Stripe Connect account and its state as Stripe sent it. */
export interface PayoutAccountRow {
  agent_id: string;
  stripe_account_id: string;
  payouts_enabled: boolean;
  details_submitted: boolean;
  requirements: string[];
  stripe_state_at: Date | null;
  /** Why the account can never be paid again (`deauthorized`, Stripe's `rejected.*`), or null. */
  closed_reason: string | null;
  closed_at: Date | null;
  /** The agent's earlier accounts, closed, oldest first. */
  replaced_account_ids: string[];
  /** An admin's allowance answers this closing (PayoutAccountsRepository, ALLOWED_SQL). */
  new_account_allowed: boolean;
  created_at: Date;
  updated_at: Date;
}

export type AccountOfAgent = Pick<
  PayoutAccountRow,
  'stripe_account_id' | 'closed_reason' | 'replaced_account_ids' | 'new_account_allowed'
>;

/**
 * An admin allowed a new account after this very closing: the account, the reason, and since
 * it closed for that reason (`closed_at` moves whenever the reason does), so an allowance never
 * carries over to a later closing or to the next account.
 */
const ALLOWED_SQL = `EXISTS (
  SELECT 1 FROM payout_account_allowances a
   WHERE a.agent_id = pa.agent_id AND a.stripe_account_id = pa.stripe_account_id
     AND a.closed_reason = pa.closed_reason AND a.created_at >= pa.closed_at)`;

/** An allowance as kept. */
export interface AllowanceRow {
  stripe_account_id: string;
  closed_reason: string;
  allowed_by: string;
  reason: string;
  created_at: Date;
}

/** An account's state as Stripe reports it. */
export interface StripeAccountState {
  payoutsEnabled: boolean;
  detailsSubmitted: boolean;
  requirements: string[];
  /**
   * Set when the account can never be paid again: Stripe's `requirements.disabled_reason` when
   * it is a rejection (`rejected.fraud`, `rejected.platform_other`, …). A platform may unreject
   * its own rejection, which clears it.
   */
  closedReason: string | null;
}

/** The account left our platform (`account.application.deauthorized`): no event undoes it. */
export const DEAUTHORIZED = 'deauthorized';

/**
 * Closings after which the agent may link a new account by themselves: the account left the
 * platform, or Stripe could not verify the agent in time. Any other rejection, by Stripe or by
 * us (fraud, terms of service, a sanctions list, `other`), is a decision about the person that a
 * new account would only get round: our support team decides.
 */
const RELINKABLE = [DEAUTHORIZED, 'rejected.incomplete_verification'];
/** Accounts an agent may have had in all, the first included. */
export const MAX_ACCOUNTS = 3;

export const canLinkNew = (
  row: Pick<PayoutAccountRow, 'closed_reason' | 'replaced_account_ids' | 'new_account_allowed'>,
): boolean =>
  row.closed_reason !== null &&
  (row.new_account_allowed ||
    (RELINKABLE.includes(row.closed_reason) && row.replaced_account_ids.length + 1 < MAX_ACCOUNTS));

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
      `SELECT pa.*, ${ALLOWED_SQL} AS new_account_allowed
         FROM payout_accounts pa WHERE agent_id = $1`,
      [agentId],
    );
    return row;
  }

  async stripeAccountOf(em: EntityManager, agentId: string): Promise<AccountOfAgent | undefined> {
    const [row]: AccountOfAgent[] = await em.query(
      `SELECT stripe_account_id, closed_reason, replaced_account_ids,
              ${ALLOWED_SQL} AS new_account_allowed
         FROM payout_accounts pa WHERE agent_id = $1`,
      [agentId],
    );
    return row;
  }

  /**
   * Stripe ids of the accounts still on our platform (not deauthorized: a rejection can be
   * lifted at Stripe), after `after` in id order (a page).
   */
  async linkedStripeIds(em: EntityManager, after: string, limit: number): Promise<string[]> {
    const rows: { stripe_account_id: string }[] = await em.query(
      `SELECT stripe_account_id FROM payout_accounts
        WHERE closed_reason IS DISTINCT FROM $3 AND stripe_account_id > $1
        ORDER BY stripe_account_id LIMIT $2`,
      [after, limit, DEAUTHORIZED],
    );
    return rows.map((r) => r.stripe_account_id);
  }

  /** Locks the account's row, if we have it, to the end of the transaction. */
  async lockByStripeId(em: EntityManager, stripeAccountId: string): Promise<void> {
    await em.query('SELECT 1 FROM payout_accounts WHERE stripe_account_id = $1 FOR UPDATE', [
      stripeAccountId,
    ]);
  }

  /**
   * Stores the account's state as of a Stripe event's `created` (Unix seconds), unless a newer
   * event's state is already stored (events arrive out of order). `null`: a read of the
   * account now, under its row lock (a sync), which no stored state is newer than; the stored
   * event time stays, so our clock never refuses Stripe's next event.
   */
  async applyStripeState(
    em: EntityManager,
    stripeAccountId: string,
    state: StripeAccountState,
    eventCreated: number | null,
  ): Promise<void> {
    await em.query(
      `UPDATE payout_accounts
          SET payouts_enabled = $2 AND $6::text IS NULL AND closed_reason IS DISTINCT FROM $7,
              details_submitted = $3, requirements = $4,
              stripe_state_at = coalesce(to_timestamp($5::float8), stripe_state_at),
              updated_at = now(),
              closed_reason = CASE WHEN closed_reason = $7 THEN closed_reason ELSE $6 END,
              closed_at = CASE WHEN closed_reason = $7 THEN closed_at
                               WHEN $6::text IS NULL THEN NULL
                               WHEN closed_reason IS DISTINCT FROM $6 THEN now()
                               ELSE closed_at END
        WHERE stripe_account_id = $1
          AND ($5::float8 IS NULL OR stripe_state_at IS NULL
               OR stripe_state_at <= to_timestamp($5::float8))`,
      [
        stripeAccountId,
        state.payoutsEnabled,
        state.detailsSubmitted,
        state.requirements,
        eventCreated,
        state.closedReason,
        DEAUTHORIZED,
      ],
    );
  }

  /**
   * The account left our platform: closed for good, whatever its last state said (Stripe sends
   * no event that brings it back; the agent links a new one).
   */
  async markDeauthorized(em: EntityManager, stripeAccountId: string): Promise<boolean> {
    const changed = await changedRows(
      em,
      `UPDATE payout_accounts
          SET payouts_enabled = false, closed_reason = $2, closed_at = now(), updated_at = now()
        WHERE stripe_account_id = $1 AND closed_reason IS DISTINCT FROM $2
        RETURNING agent_id`,
      [stripeAccountId, DEAUTHORIZED],
    );
    return changed.length > 0;
  }

  /**
   * Puts a new account in place of the agent's closed one (kept in `replaced_account_ids`), if
   * that one is still the agent's and still closed for a reason the agent may link a new account
   * after (an event may have changed it meanwhile). Of two concurrent calls (both made the same
   * new account under one idempotency key) the second changes nothing. True when it changed.
   */
  async replaceClosed(
    em: EntityManager,
    agentId: string,
    closedAccountId: string,
    stripeAccountId: string,
    state: StripeAccountState,
  ): Promise<boolean> {
    const changed = await changedRows(
      em,
      `UPDATE payout_accounts pa
          SET stripe_account_id = $3, payouts_enabled = $4, details_submitted = $5,
              requirements = $6, stripe_state_at = NULL, closed_reason = NULL, closed_at = NULL,
              replaced_account_ids = replaced_account_ids || $2::text, updated_at = now()
        WHERE agent_id = $1 AND stripe_account_id = $2 AND closed_reason IS NOT NULL
          AND (${ALLOWED_SQL}
               OR (closed_reason = ANY($7::text[])
                   AND cardinality(replaced_account_ids) + 1 < $8))
        RETURNING agent_id`,
      [
        agentId,
        closedAccountId,
        stripeAccountId,
        state.payoutsEnabled,
        state.detailsSubmitted,
        state.requirements,
        RELINKABLE,
        MAX_ACCOUNTS,
      ],
    );
    return changed.length > 0;
  }

  /** Locks the agent's account row, if any, to the end of the transaction. */
  async lockOfAgent(em: EntityManager, agentId: string): Promise<void> {
    await em.query('SELECT 1 FROM payout_accounts WHERE agent_id = $1 FOR UPDATE', [agentId]);
  }

  /** Keeps an admin's allowance of a new account after the account's closing as it is now. */
  async insertAllowance(
    em: EntityManager,
    agentId: string,
    by: string,
    reason: string,
  ): Promise<void> {
    await em.query(
      `INSERT INTO payout_account_allowances
              (agent_id, stripe_account_id, closed_reason, allowed_by, reason)
       SELECT agent_id, stripe_account_id, closed_reason, $2, $3
         FROM payout_accounts WHERE agent_id = $1 AND closed_reason IS NOT NULL`,
      [agentId, by, reason],
    );
  }

  /** Every allowance given for the agent's accounts, newest first. */
  allowancesOf(em: EntityManager, agentId: string): Promise<AllowanceRow[]> {
    return em.query(
      `SELECT stripe_account_id, closed_reason, allowed_by, reason, created_at
         FROM payout_account_allowances WHERE agent_id = $1 ORDER BY created_at DESC`,
      [agentId],
    );
  }
}
