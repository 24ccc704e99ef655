import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';
import { ApiInteger } from '../../common/http/openapi-property';
import { Length, MaxLength } from '../../common/validation/text-and-numbers';

export class AgentPayoutDto {
  /**
   * The payout line (one per run you were paid in).
   * @example f0e1d2c3-b4a5-4968-8776-a5b4c3d2e1f0
   */
  lineId: string;
  /** @example d4c3b2a1-9f8e-4d7c-b6a5-0e1f2d3c4b5a */
  runId: string;
  /**
   * What the transfer carried.
   * @example 14300
   */
  @ApiInteger()
  amountMinor: number;
  /** @example EUR */
  currency: string;
  /** @example 2030-06-01T08:22:10.000Z */
  paidAt: Date;
  /** @example tr_1PqS8dT3uV4wX5yZa1b2c3d4 */
  stripeTransferId: string;
  /**
   * What Stripe took back from this transfer since (0 for most).
   * @example 0
   */
  @ApiInteger()
  reversedMinor: number;
}

export class AgentPayoutPageDto {
  items: AgentPayoutDto[];
  /**
   * Pass as `cursor` for the next page; null on the last page.
   * @example WyIyMDMwLTA2LTAxVDA4OjIyOjEwLjAwMFoiLCJmMGUxZDJjMy1iNGE1LTQ5NjgtODc3Ni1hNWI0YzNkMmUxZjAiXQ
   */
  nextCursor: string | null;
}

export class PayoutAccountView {
  /** @example acct_1PqR2sT3uV4wX5yZ */
  stripeAccountId: string;
  /**
   * Handoff can pay this account: Stripe lets it receive transfers (its `transfers` capability
   * is active) and pay them out to the bank (`payouts_enabled`).
   * @example false
   */
  payoutsEnabled: boolean;
  /** @example false */
  detailsSubmitted: boolean;
  /**
   * What Stripe still needs from the agent before it pays out.
   * @example ["external_account", "individual.verification.document"]
   */
  requirements: string[];
  /**
   * Set when this account can never be paid again: `deauthorized` (it left our platform),
   * `rejected_by_stripe` or `rejected_by_handoff`; null while it is open. See `canLinkNew`.
   * @example deauthorized
   */
  @ApiProperty({
    enum: ['deauthorized', 'rejected_by_stripe', 'rejected_by_handoff'],
    nullable: true,
  })
  closedReason: 'deauthorized' | 'rejected_by_stripe' | 'rejected_by_handoff' | null;
  /**
   * When we learnt the account was closed (null while open).
   * @example 2030-04-29T11:05:00.000Z
   */
  closedAt: Date | null;
  /**
   * The account is closed and onboarding again links a new one in its place: it left our
   * platform, or Stripe could not verify the agent in time (at most 3 accounts in all), or an
   * admin allowed a new one after this closing. False for an open account, and for any other
   * closing: onboarding then answers 409 PAYOUT_ACCOUNT_REJECTED, and our support team decides.
   * @example true
   */
  canLinkNew: boolean;
}

/** An admin's allowance of a new account after a closing. */
export class NewAccountAllowanceDto {
  /**
   * The account it was given for, and the closing's reason then.
   * @example acct_1Oa2bC3dE4fG5hI6
   */
  stripeAccountId: string;
  /** @example rejected.platform_fraud */
  closedReason: string;
  /** @example 6e8a0c2e-4b6d-4f8a-b0c2-e4f6a8b0c2d4 */
  by: string;
  /** @example 2030-04-29T11:05:00.000Z */
  at: Date;
  /** @example "Identity checked by phone; the fraud flag was a shared card" */
  reason: string;
}

/** An agent's payout account as staff see it: Stripe's own reason and the account history. */
export class StaffPayoutAccountView extends PayoutAccountView {
  /**
   * Stripe's reason for the closing as it sent it (`rejected.fraud`, `rejected.listed`,
   * `rejected.platform_other`, …) or `deauthorized`; null while open.
   * @example rejected.platform_fraud
   */
  stripeClosedReason: string | null;
  /**
   * The agent's earlier accounts, closed, oldest first.
   * @example ["acct_1Oa2bC3dE4fG5hI6"]
   */
  replacedAccountIds: string[];
  /** The allowance that answers this closing, if an admin gave one (the agent may link anew). */
  newAccountAllowed: NewAccountAllowanceDto | null;
  /** Every allowance given for the agent's accounts, newest first: the record. */
  allowances: NewAccountAllowanceDto[];
}

/**
 * Allows a new account after the closing the admin looked at: the account and the reason it
 * read must still be the agent's (409 PAYOUT_ACCOUNT_STATE when the closing changed since).
 */
export class AllowNewPayoutAccountDto {
  /**
   * Why, for the record.
   * @example "Identity checked by phone; the fraud flag was a shared card"
   */
  @IsString()
  @MaxLength(500)
  @Matches(/\S/, { message: 'reason must not be blank' })
  reason: string;
  /**
   * The account as read (`stripeAccountId` of the staff view).
   * @example acct_1Oa2bC3dE4fG5hI6
   */
  @IsString()
  @Length(1, 255)
  @Matches(/\S/, { message: 'stripeAccountId must not be blank' })
  stripeAccountId: string;
  /**
   * The closing's reason as read (`stripeClosedReason` of the staff view).
   * @example rejected.platform_fraud
   */
  @IsString()
  @Length(1, 255)
  @Matches(/\S/, { message: 'stripeClosedReason must not be blank' })
  stripeClosedReason: string;
}

export class OnboardingView extends PayoutAccountView {
  /**
   * A fresh Stripe-hosted onboarding link; it expires within minutes.
   * @example https://connect.stripe.com/setup/e/acct_1PqR2sT3uV4wX5yZ/Xk3Lp9Qw2ErT
   */
  onboardingUrl: string;
  /** @example 2030-04-29T11:05:00.000Z */
  expiresAt: Date;
}

/** Stripe's answer: the event is stored and will be applied by a job (or was, before). */
export class StripeEventReceivedDto {
  /**
   * Always true once the signature and shape are accepted.
   * @example true
   */
  received: boolean;
  /**
   * True when this event id arrived before: nothing more is done.
   * @example false
   */
  duplicate: boolean;
  /**
   * True when the event is of the other mode than our key's (a test-mode event on a live
   * endpoint, or the reverse): not stored, nothing is done.
   * @example false
   */
  ignored: boolean;
}
