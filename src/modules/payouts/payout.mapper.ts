import Stripe from 'stripe';
import { AgentIdentity } from '../ledger/agent-identities.service';
import {
  AllowanceRow,
  canLinkNew,
  DEAUTHORIZED,
  PayoutAccountRow,
  StripeAccountState,
} from './payout-accounts.repository';
import { AgentPayoutRow, PayoutLineViewRow } from './payout-lines.repository';
import { PayoutRunRow, PayoutRunTotalsRow } from './payout-runs.repository';
import { PayoutLineDto, PayoutRunDto } from './payout.dto';
import {
  AgentPayoutDto,
  NewAccountAllowanceDto,
  PayoutAccountView,
  StaffPayoutAccountView,
} from './payout-account.dto';

const orNull = (v: string | null) => (v === null ? null : Number(v));

export const toPayoutLineDto = (l: PayoutLineViewRow, who: AgentIdentity): PayoutLineDto => ({
  id: l.id,
  agentId: l.agent_id,
  agentDisplayName: who.agentDisplayName,
  agentEmail: who.agentEmail,
  stripeAccountId: l.stripe_account_id,
  amountMinor: Number(l.amount_minor),
  transferMinor: orNull(l.transfer_minor),
  currency: l.currency,
  status: l.status,
  heldReason: l.held_reason,
  stripeTransferId: l.stripe_transfer_id,
  attempts: l.attempts,
  failureCode: l.failure_code,
  failureMessage: l.failure_message,
  refused: l.failure_permanent,
  resendAt: l.resend_at,
  reversedMinor: Number(l.reversed_minor),
  paidAt: l.paid_at,
  abandonedReason: l.abandoned_reason,
  abandonedBy: l.abandoned_by,
  abandonedAt: l.abandoned_at,
});

export const toAgentPayoutDto = (r: AgentPayoutRow): AgentPayoutDto => ({
  lineId: r.id,
  runId: r.run_id,
  amountMinor: Number(r.transfer_minor),
  currency: r.currency,
  paidAt: r.paid_at,
  stripeTransferId: r.stripe_transfer_id,
  reversedMinor: Number(r.reversed_minor),
});

/** A run with its totals (zero everywhere for a run without lines: it has no totals row). */
export function toPayoutRunDto(r: PayoutRunRow, totals?: PayoutRunTotalsRow): PayoutRunDto {
  const n = (k: keyof PayoutRunTotalsRow) => Number(totals?.[k] ?? 0);
  return {
    id: r.id,
    currency: r.currency,
    cutoff: r.cutoff,
    status: r.status,
    stripeMode: r.stripe_mode,
    createdBy: r.created_by,
    approvedBy: r.approved_by,
    createdAt: r.created_at,
    approvedAt: r.approved_at,
    executedAt: r.executed_at,
    completedAt: r.completed_at,
    cancelledAt: r.cancelled_at,
    platformAvailableMinor:
      r.platform_available_minor === null ? null : Number(r.platform_available_minor),
    minimumMinor: r.minimum_minor === null ? null : Number(r.minimum_minor),
    totals: {
      draftedLines: n('drafted_lines'),
      draftedMinor: n('drafted_minor'),
      payableLines: n('payable_lines'),
      payableMinor: n('payable_minor'),
      heldLines: n('held_lines'),
      heldMinor: n('held_minor'),
      paidLines: n('paid_lines'),
      paidMinor: n('paid_minor'),
      reversedLines: n('reversed_lines'),
      reversedMinor: n('reversed_minor'),
      failedLines: n('failed_lines'),
      retryableLines: n('retryable_lines'),
      abandonedLines: n('abandoned_lines'),
      inFlightLines: n('in_flight_lines'),
      stuckLines: n('stuck_lines'),
    },
  };
}

export const toPayoutAccountDto = (row: PayoutAccountRow): PayoutAccountView => ({
  stripeAccountId: row.stripe_account_id,
  payoutsEnabled: row.payouts_enabled,
  detailsSubmitted: row.details_submitted,
  requirements: row.requirements,
  closedReason: agentFacingReason(row.closed_reason),
  closedAt: row.closed_at,
  canLinkNew: canLinkNew(row),
});

const toAllowanceDto = (a: AllowanceRow): NewAccountAllowanceDto => ({
  stripeAccountId: a.stripe_account_id,
  closedReason: a.closed_reason,
  by: a.allowed_by,
  at: a.created_at,
  reason: a.reason,
});

/** The account with every allowance given for the agent (newest first). */
export function toStaffPayoutAccountDto(
  row: PayoutAccountRow,
  allowances: AllowanceRow[],
): StaffPayoutAccountView {
  // The newest allowance of this closing, when one answers it (the row says whether).
  const inForce = row.new_account_allowed
    ? allowances.find(
        (a) =>
          a.stripe_account_id === row.stripe_account_id && a.closed_reason === row.closed_reason,
      )
    : undefined;
  return {
    ...toPayoutAccountDto(row),
    stripeClosedReason: row.closed_reason,
    replacedAccountIds: row.replaced_account_ids,
    newAccountAllowed: inForce ? toAllowanceDto(inForce) : null,
    allowances: allowances.map(toAllowanceDto),
  };
}

/**
 * Why an account is closed, as the agent is told: who closed it, not Stripe's reason (a
 * rejection for fraud or a sanctions list is not the console's to tell; staff read the row).
 */
const agentFacingReason = (reason: string | null): PayoutAccountView['closedReason'] =>
  reason === null
    ? null
    : reason === DEAUTHORIZED
      ? 'deauthorized'
      : reason.startsWith('rejected.platform_')
        ? 'rejected_by_handoff'
        : 'rejected_by_stripe';

/**
 * Stripe account state as payouts stores it, from an Account object. "Payouts enabled" is ours
 * to pay: Stripe's `payouts_enabled` (the account can pay out to its bank) and an active
 * `transfers` capability (it can receive our transfers). Stripe can turn the capability off
 * alone (new requirements past due); a line drafted to such an account was sent and refused
 * (insufficient_capabilities_for_transfer) instead of held.
 */
export const toStripeAccountState = (a: Stripe.Account): StripeAccountState => ({
  payoutsEnabled: !!a.payouts_enabled && a.capabilities?.transfers === 'active',
  detailsSubmitted: !!a.details_submitted,
  requirements: a.requirements?.currently_due ?? [],
  closedReason: a.requirements?.disabled_reason?.startsWith('rejected.')
    ? a.requirements.disabled_reason
    : null,
});
